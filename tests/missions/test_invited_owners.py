"""Work given to someone invited who has not joined yet: a metric, a goal or a milestone
names the invitation, and becomes theirs when they accept it."""

import re

import pytest
from django.urls import reverse

from metrics.models import Metric
from missions.models import Goal, Milestone
from orgs.models import Invitation, User
from orgs.roles import Role
from orgs.services import invitation_accept, invitation_send
from tests.factories import PASSWORD, GoalFactory, InvitationFactory, MetricFactory, MissionFactory
from tests.metrics.test_metric_forms import METRIC

INVITEE = "nia@acme.example"


@pytest.fixture
def goal(cast):
    mission = MissionFactory(organisation=cast.org, slug="net-zero", owner=cast.admin)
    return GoalFactory(mission=mission, title="Halve emissions")


@pytest.fixture
def invitation(cast):
    return InvitationFactory(organisation=cast.org, email=INVITEE, invited_by=cast.admin)


def add_metric(client, goal, owner: str):
    return client.post(
        reverse("metrics:add", args=["acme", goal.mission.slug, goal.uid]),
        METRIC | {"owner": owner},
    )


def test_the_owner_choice_offers_pending_invitations_in_a_group_of_their_own(
    cast, login, goal, invitation
):
    InvitationFactory(organisation=cast.other_org, email="elsewhere@other.example")
    revoked = InvitationFactory(organisation=cast.org, email="gone@acme.example")
    Invitation.objects.filter(pk=revoked.pk).update(revoked_at=revoked.created_at)

    page = login(cast.admin).get(reverse("metrics:add", args=["acme", "net-zero", goal.uid])).text

    group = re.search(r'<optgroup label="Invited, not joined yet">(.*?)</optgroup>', page)
    assert group, page
    assert f'<option value="{INVITEE}">{INVITEE} (invited)</option>' == group[1]
    assert "elsewhere@other.example" not in page
    assert "gone@acme.example" not in page


def test_a_metric_given_to_an_invitation_names_them_until_they_join(cast, login, goal, invitation):
    client = login(cast.admin)
    response = add_metric(client, goal, INVITEE)

    assert response.status_code == 302
    metric = Metric.objects.get()
    assert metric.owner is None
    assert metric.owner_invitation == invitation
    page = client.get(response["Location"]).text
    assert f"Owner: {INVITEE} (invited)" in page
    # The edit form starts from them, and saving it unchanged keeps them.
    edit_url = reverse("metrics:edit", args=["acme", "net-zero", metric.uid])
    assert f'<option value="{INVITEE}" selected>' in client.get(edit_url).text


def test_choosing_a_member_instead_drops_the_invitation(cast, login, goal, invitation):
    client = login(cast.admin)
    add_metric(client, goal, INVITEE)
    metric = Metric.objects.get()
    edit_url = reverse("metrics:edit", args=["acme", "net-zero", metric.uid])
    edit = METRIC | {"owner": cast.member.email, "version": metric.version}

    assert client.post(edit_url, edit).status_code == 302

    metric.refresh_from_db()
    assert (metric.owner, metric.owner_invitation) == (cast.member, None)


def test_another_organisations_invitation_cannot_be_given_work(cast, login, goal):
    InvitationFactory(organisation=cast.other_org, email="elsewhere@other.example")

    response = add_metric(login(cast.admin), goal, "elsewhere@other.example")

    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not Metric.objects.exists()


def test_accepting_hands_over_metrics_goals_and_milestones(cast, login, goal, invitation):
    client = login(cast.admin)
    add_metric(client, goal, INVITEE)
    client.post(
        reverse("reporting:goal_add", args=["acme", "net-zero"]),
        {"goal-title": "Train every driver", "goal-weight": 1, "goal-owner": INVITEE},
    )
    client.post(
        reverse("reporting:milestone_add", args=["acme", "net-zero"]),
        {"milestone-title": "Fleet audit", "milestone-due_on": "2027-03-01",
         "milestone-owner": INVITEE},
    )  # fmt: skip
    page = client.get(goal.mission.get_absolute_url()).text
    assert f"{INVITEE} (invited)" in page
    nia = User.objects.create_user(email=INVITEE, password=PASSWORD, name="Nia")

    invitation_accept(invitation, nia)

    metric = Metric.objects.get()
    assert (metric.owner, metric.owner_invitation) == (nia, None)
    assert Goal.objects.get(title="Train every driver").owner == nia
    assert Milestone.objects.get(title="Fleet audit").owner == nia
    # Nothing else changed hands.
    assert Goal.objects.get(title="Halve emissions").owner is None


def test_a_renewed_invitation_still_brings_the_work(cast, login, goal, invitation):
    add_metric(login(cast.admin), goal, INVITEE)
    renewed = invitation_send(cast.org, INVITEE, Role.MEMBER, cast.admin)
    nia = User.objects.create_user(email=INVITEE, password=PASSWORD, name="Nia")

    invitation_accept(renewed, nia)

    assert Metric.objects.get().owner == nia


def test_the_invitee_arrives_to_their_due_check_in(cast, client, goal, invitation):
    metric = MetricFactory(
        mission=goal.mission, goal=goal, name="Fleet emissions", owner_invitation=invitation
    )

    response = client.post(
        reverse("invitation_accept", args=[invitation.token]),
        {"name": "Nia", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("metrics:my_checkins", args=["acme"])
    assert "You have joined Acme Missions." in response.text
    assert "Fleet emissions" in response.text
    assert "You don’t own any metrics here" not in response.text
    metric.refresh_from_db()
    assert metric.owner.email == INVITEE
    # It is theirs by the one policy: they may check in on it.
    assert f'action="/o/acme/my-check-ins/{metric.uid}/"' in response.text


def test_a_metric_cannot_have_both_a_member_and_an_invitation(cast, goal, invitation):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        MetricFactory(mission=goal.mission, owner=cast.member, owner_invitation=invitation)
