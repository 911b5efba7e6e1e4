"""The victim organisation the security tests walk: the cast's Acme, with something of
every kind in it, secret marker strings in what only its people may read, and the
values that fill every URL pattern's arguments."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, override_settings

from api.models import ApiToken
from integrations.models import (
    Channel,
    MetricFeed,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from metrics.checkin_links import quick_checkin_url
from metrics.services import checkin_record
from missions.models import Report, ShareLink, ShareTarget, Visibility
from orgs.consent import confirmation_token
from orgs.models import Organisation
from orgs.unsubscribe import Topic, unsubscribe_token
from reporting.reports import report_publish
from tests.conftest import Cast, make_cast
from tests.factories import (
    AlignmentFactory,
    GoalFactory,
    IdeaFactory,
    InvitationFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    ResourceFactory,
    StakeholderFactory,
    StakeholderLinkFactory,
    TeamFactory,
)

TODAY = datetime.datetime(2026, 5, 12, 10, 0, tzinfo=datetime.UTC)

# Seeded in the victim organisation, in places only its own people may read. None of
# them may appear in any response to anybody outside it.
SECRETS = {
    "mission": "Quillfeather mission",
    "mission_purpose": "Purpose of Quillfeather",
    "goal": "Goal Brackenridge",
    "metric": "Metric Tamberlane",
    "checkin_note": "Check-in note Oxleywick",
    "milestone": "Milestone Fennimore",
    "idea": "Idea Wrenthorpe",
    "team": "Team Halloway",
    "team_description": "Description of Halloway",
    "stakeholder": "Stakeholder Dunmarrow",
    "stakeholder_email": "dunmarrow-contact@stakeholder.example",
    "stakeholder_notes": "Notes on Dunmarrow",
    "commitment": "Commitment Ashcombe",
    "resource": "Resource Kestleford",
    "alignment_note": "Alignment note Pelbury",
    "report": "Report Marchbank",
    "report_narrative": "Narrative Marchbank",
    "invitee": "marker-invitee@acme.example",
    "member_email": "@acme.example",  # every Acme person's address
    "endpoint": "Endpoint Larkspur",
    "channel": "Channel Morrowby",
    "feed_selector": "Feed column Quarrendon",
}
# Seeded in a private mission owned by the organisation's owner: besides outsiders,
# the victim's members and viewers must never read these either.
PRIVATE_SECRETS = {
    "private_mission": "Hollowmere private mission",
    "private_goal": "Private goal Saltinstall",
    "private_checkin_note": "Private note Greyhaven",
    "private_commitment": "Private commitment Loxford",
    "private_idea": "Private idea Thistlecombe",
}


@dataclass
class Victim:
    values: dict[str, str]  # URL argument -> value, for every pattern
    per_pattern: dict[str, dict[str, str]]  # the arguments that differ by pattern
    private: dict[str, str]  # the arguments for the private mission and what is in it


@pytest.fixture
def frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def victim(cast, frozen_day) -> Victim:
    return build_victim(cast)


def build_victim(cast: Cast) -> Victim:
    org = cast.org
    Organisation.objects.filter(pk=org.pk).update(public_page=True)
    team = TeamFactory(
        organisation=org,
        name=SECRETS["team"],
        slug="walked-team",
        description=SECRETS["team_description"],
    )
    team.team_members.create(user=cast.member)
    pending = InvitationFactory(organisation=org, email=SECRETS["invitee"], invited_by=cast.owner)
    usable = InvitationFactory(
        organisation=org, email="newcomer@elsewhere.example", invited_by=cast.owner
    )

    mission = MissionFactory(
        organisation=org,
        title=SECRETS["mission"],
        slug="walked-mission",
        purpose=SECRETS["mission_purpose"],
        owner=cast.owner,
        visibility=Visibility.ORGANISATION,
    )
    goal = GoalFactory(mission=mission, title=SECRETS["goal"])
    metric = MetricFactory(goal=goal, name=SECRETS["metric"], owner=cast.member)
    checkin = checkin_record(
        metric,
        value=Decimal(20),
        for_date=datetime.date(2026, 4, 1),
        confidence="on_track",
        note=SECRETS["checkin_note"],
        author=cast.member,
    )
    stakeholder = StakeholderFactory(
        organisation=org,
        name=SECRETS["stakeholder"],
        kind="supplier",
        email=SECRETS["stakeholder_email"],
        contact_name="Dana Contact",
        notes=SECRETS["stakeholder_notes"],
        consent_to_email=True,
    )
    link = StakeholderLinkFactory(
        mission=mission, stakeholder=stakeholder, commitment=SECRETS["commitment"]
    )
    idea = IdeaFactory(mission=mission, title=SECRETS["idea"], author=cast.member)
    report = Report.objects.create(
        organisation=org,
        title=SECRETS["report"],
        narrative=SECRETS["report_narrative"],
        author=cast.member,
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 4, 30),
    )

    # What the organisation shows the world on purpose: a shareable mission with a link.
    shown = MissionFactory(
        organisation=org,
        title="Open mission for everyone",
        slug="open-mission",
        owner=cast.owner,
        visibility=Visibility.SHAREABLE,
    )
    MetricFactory(goal=GoalFactory(mission=shown, title="Open goal"), owner=cast.owner)
    open_link = ShareLink.objects.create(
        organisation=org, target=ShareTarget.MISSION, mission=shown, created_by=cast.owner
    )
    # And a published report about it, shared by a link: its chart is walked.
    shown_report = Report.objects.create(
        organisation=org,
        title="Open report for everyone",
        author=cast.owner,
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 4, 30),
    )
    shown_report.missions.set([shown])
    report_publish(shown_report, cast.owner)
    report_link = ShareLink.objects.create(
        organisation=org, target=ShareTarget.REPORT, report=shown_report, created_by=cast.owner
    )

    private = MissionFactory(
        organisation=org,
        title=PRIVATE_SECRETS["private_mission"],
        slug="private-mission",
        owner=cast.owner,
        visibility=Visibility.PRIVATE,
    )
    private_goal = GoalFactory(mission=private, title=PRIVATE_SECRETS["private_goal"])
    private_metric = MetricFactory(
        goal=private_goal,
        owner=cast.member,  # even a metric they own does not open a private mission
    )
    private_checkin = checkin_record(
        private_metric,
        value=Decimal(30),
        for_date=datetime.date(2026, 4, 1),
        confidence="on_track",
        note=PRIVATE_SECRETS["private_checkin_note"],
        author=cast.owner,
    )
    private_link = StakeholderLinkFactory(
        mission=private, stakeholder=stakeholder, commitment=PRIVATE_SECRETS["private_commitment"]
    )
    private_idea = IdeaFactory(
        mission=private, title=PRIVATE_SECRETS["private_idea"], author=cast.owner
    )
    private_alignment = AlignmentFactory(mission=private, team=team, note="private alignment")
    # A draft its member author reported on the mission with, before the owner took it
    # back and made it private (issue 17): the author is now like anyone who can't see it.
    taken_back = Report.objects.create(
        organisation=org,
        title="Draft on a mission taken back",
        author=cast.member,
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 4, 30),
    )
    taken_back.missions.set([private])
    private_values = {
        "mission_slug": private.slug,
        "report_uid": str(taken_back.uid),
        "chart_key": "chart-1",
        "goal_uid": str(private_goal.uid),
        "metric_uid": str(private_metric.uid),
        "checkin_uid": str(private_checkin.uid),
        "milestone_uid": str(MilestoneFactory(mission=private).uid),
        "alignment_uid": str(private_alignment.uid),
        "resource_uid": str(ResourceFactory(mission=private).uid),
        "link_uid": str(private_link.uid),
        "idea_uid": str(private_idea.uid),
        "share_uid": str(
            ShareLink.objects.create(
                organisation=org, target=ShareTarget.MISSION, mission=private
            ).uid
        ),
    }

    reader = StakeholderFactory(
        organisation=org, name="Reader", email="reader@partner.example", consent_to_email=True
    )

    api_token = ApiToken(organisation=org, owner=cast.member, name="Walked token", role="member")
    api_token.issue()
    api_token.save()
    endpoint = WebhookEndpoint.objects.create(
        organisation=org,
        url="https://hooks.example/acme",
        description=SECRETS["endpoint"],
        events=["checkin.recorded"],
        created_by=cast.admin,
    )
    event = WebhookEvent.objects.create(
        uid="00000000-0000-4000-8000-00000000e7e7",
        organisation=org,
        name="checkin.recorded",
        payload={"metric": {"name": SECRETS["metric"]}},
        happened_at=TODAY,
    )
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, state="sent")
    channel = Channel.objects.create(
        organisation=org, kind="slack", name=SECRETS["channel"], url="https://hooks.example/c"
    )
    MetricFeed.objects.create(
        metric=metric,
        url="https://sheets.example/acme.csv",
        selector=SECRETS["feed_selector"],
        next_run_at=TODAY + datetime.timedelta(days=7),
    )

    values = {
        "org_slug": org.slug,
        "endpoint_uid": str(endpoint.uid),
        "delivery_uid": str(delivery.uid),
        "channel_uid": str(channel.uid),
        "token_uid": str(api_token.uid),
        "org": org.slug,  # the API's routes (a token, not the access middleware, decides)
        "rest": "no-such-address",
        "public_slug": org.slug,
        "membership_uid": str(cast.membership(cast.member).uid),
        "invitation_uid": str(pending.uid),
        "team_slug": team.slug,
        "mission_slug": mission.slug,
        "goal_uid": str(goal.uid),
        "metric_uid": str(metric.uid),
        "milestone_uid": str(MilestoneFactory(mission=mission, title=SECRETS["milestone"]).uid),
        "alignment_uid": str(
            AlignmentFactory(mission=mission, team=team, note=SECRETS["alignment_note"]).uid
        ),
        "resource_uid": str(ResourceFactory(mission=mission, name=SECRETS["resource"]).uid),
        "stakeholder_uid": str(stakeholder.uid),
        "link_uid": str(link.uid),
        "idea_uid": str(idea.uid),
        "checkin_uid": str(checkin.uid),
        "template_key": "net-zero-operations",
        "report_uid": str(report.uid),
        "share_uid": str(
            ShareLink.objects.create(
                organisation=org, target=ShareTarget.MISSION, mission=mission
            ).uid
        ),
        # Password resets and email confirmations: links that are not valid, which the
        # pages say; a single sign-on provider and a passkey that do not exist.
        "uidb36": "1",
        "uidb64": "MQ",  # an old Django reset link, from before django-allauth
        "token": "not-a-valid-token",
        "key": "not-a-valid-key",
        "provider_id": "no-such-provider",
        "pk": "999999",
        # The Django admin's patterns.
        "object_id": str(org.pk),
        "content_type_id": str(ContentType.objects.get_for_model(Organisation).pk),
        "id": str(cast.member.pk),
        "app_label": "orgs",
        "url": "no-such-admin-page/",
    }
    per_pattern = {
        "invitation_accept": {"token": usable.token},
        # A stakeholder's link: the page names its recipient, who holds the token.
        "unsubscribe": {"token": unsubscribe_token(Topic.STAKEHOLDER_DIGEST, reader)},
        "stakeholder_confirm": {"token": confirmation_token(reader)},
        "share_page": {"token": open_link.token},
        "share_badge": {"token": open_link.token},
        # The walked mission isn't shareable, so it has no badge: the one that is, does.
        "public_badge": {"mission_slug": shown.slug},
        "share_chart": {"token": report_link.token, "chart_key": "chart-1"},
        "reporting:report_chart": {"report_uid": str(shown_report.uid), "chart_key": "chart-1"},
        # The member's reminder link for their metric.
        "metrics:quick_checkin": {
            "token": quick_checkin_url(metric, cast.member).rstrip("/").rsplit("/", 1)[1]
        },
        # The API offers published reports only: walked with the published one.
        "api:report": {"report_uid": str(shown_report.uid)},
    }
    return Victim(values, per_pattern, values | private_values)


@pytest.fixture
def clients(cast, victim) -> dict[str, Client]:
    return logged_in(cast)


def logged_in(cast: Cast) -> dict[str, Client]:
    """A client for each actor: anonymous, then each of the cast, logged in."""
    clients = {"anonymous": Client()}
    for actor in ("outsider", "viewer", "member", "admin", "owner"):
        clients[actor] = Client()
        clients[actor].force_login(getattr(cast, actor))
    return clients


@pytest.fixture(scope="module")
def walked(django_db_setup, django_db_blocker):
    """The cast, the victim and the clients, made once for a module of many requests.

    Made inside a transaction that is rolled back when the module is done; each test
    runs in a savepoint within it (pytest-django's `db`), so what one test writes, the
    next does not see. Tests using it must ask for `db` too.
    """
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        time_machine.travel(TODAY, tick=False),
        override_settings(PASSWORD_HASHERS=fast),
        transaction.atomic(),
    ):
        cast = make_cast()
        victim = build_victim(cast)
        yield cast, victim, logged_in(cast)
        transaction.set_rollback(True)
