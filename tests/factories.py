import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify

from orgs.models import Invitation, Membership, Organisation, Team, TeamMember, User
from orgs.roles import Role

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, password=PASSWORD, **kwargs)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    # Sent by someone who may: the organisation's first owner, or a new one.
    invited_by = factory.LazyAttribute(lambda o: _an_owner(o.organisation))


def _an_owner(organisation: Organisation) -> User:
    owner = (
        Membership.objects.filter(organisation=organisation, role=Role.OWNER).order_by("pk").first()
    )
    if owner is not None:
        return owner.user
    return MembershipFactory(organisation=organisation, role=Role.OWNER).user


class MissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "missions.Mission"

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Mission {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    purpose = "Make things measurably better."
    status = "active"


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "missions.Goal"

    mission = factory.SubFactory(MissionFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    position = factory.Sequence(int)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "missions.Milestone"

    mission = factory.SubFactory(MissionFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_on = datetime.date(2027, 6, 30)
    position = factory.Sequence(int)


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "metrics.Metric"

    goal = factory.SubFactory(GoalFactory)
    mission = factory.LazyAttribute(lambda o: o.goal.mission)
    name = factory.Sequence(lambda n: f"Metric {n}")
    kind = "outcome"
    baseline_value = Decimal("10")
    baseline_on = datetime.date(2026, 1, 1)
    target_value = Decimal("50")
    target_on = datetime.date(2028, 1, 1)


class AlignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "missions.Alignment"

    mission = factory.SubFactory(MissionFactory)
    team = factory.SubFactory(
        TeamFactory, organisation=factory.SelfAttribute("..mission.organisation")
    )
    role = "contributor"
    capacity = 20


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "missions.Resource"

    mission = factory.SubFactory(MissionFactory)
    kind = "budget"
    name = factory.Sequence(lambda n: f"Budget line {n}")
    amount = Decimal("5000")


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orgs.Stakeholder"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Stakeholder {n}")
    kind = "customer"
    consent_to_email = False
    # One who consents has confirmed it by email, unless a test says otherwise.
    email_confirmed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.consent_to_email else None
    )


class StakeholderLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "missions.StakeholderLink"

    mission = factory.SubFactory(MissionFactory)
    stakeholder = factory.SubFactory(
        StakeholderFactory, organisation=factory.SelfAttribute("..mission.organisation")
    )
    interest = "Wants it to work"


class IdeaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "missions.Idea"

    mission = factory.SubFactory(MissionFactory)
    title = factory.Sequence(lambda n: f"Idea {n}")
    author = factory.SubFactory(UserFactory)
