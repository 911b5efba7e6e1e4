"""Fields a form does not offer are ignored when posted.

Each main create and edit form is posted, valid, by someone allowed to, with extra fields
that try to put the row in the outsider's organisation, make the outsider its owner or
author, raise a role, choose a token or make someone staff. The stored row shows none of
it; and a field a form does offer (a mission's owner) refuses the outsider outright.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from core.tokens import token_digest
from metrics.models import CheckIn, Metric
from missions.models import (
    Alignment,
    Goal,
    Idea,
    IdeaState,
    Milestone,
    Mission,
    Report,
    Resource,
    ShareLink,
    StakeholderLink,
)
from orgs.models import Invitation, Membership, Stakeholder, Team, User
from orgs.roles import Role
from tests.factories import StakeholderFactory, TeamFactory

FORGED_TOKEN = "a-token-the-poster-chose-0123456789-abcdefghijk"


def forged(cast, prefix: str = "", offered: tuple[str, ...] = ()) -> dict[str, Any]:
    """Everything a forger might add, under the form's prefix and without it."""
    other, outsider = cast.other_org, cast.outsider
    fields = {
        "organisation": other.pk,
        "organisation_id": other.pk,
        "org": other.slug,
        "org_slug": other.slug,
        "role": Role.OWNER,
        "owner": outsider.email,
        "owner_id": outsider.pk,
        "created_by": outsider.pk,
        "author": outsider.pk,
        "author_id": outsider.pk,
        "user": outsider.pk,
        "invited_by": outsider.pk,
        "published_by": outsider.pk,
        "is_staff": "on",
        "is_superuser": "on",
        "slug": "forged-slug",
        "token": FORGED_TOKEN,
        "token_hash": FORGED_TOKEN,
        "state": IdeaState.ACCEPTED,
        "published_at": "2026-01-01 00:00",
        "version": "7",
        "view_count": "99",
    }
    fields = {name: value for name, value in fields.items() if name not in offered}
    return fields | {f"{prefix}{name}": value for name, value in fields.items() if prefix}


@dataclass
class Case:
    name: str
    actor: str
    url: Callable[[dict[str, str]], str]
    data: Callable[[Any, dict[str, str]], dict[str, Any]]
    check: Callable[[Any, dict[str, str]], None]
    prefix: str = ""
    offered: tuple[str, ...] = ()


def o(path: str) -> Callable[[dict[str, str]], str]:
    return lambda v: "/o/{org_slug}/".format(**v) + path.format(**v)


M = "missions/{mission_slug}/"
MISSION = {
    "purpose": "Do good",
    "starts_on": "2026-01-01",
    "status": "active",
    "visibility": "organisation",
}


def mission_created(cast, v):
    mission = Mission.objects.get(title="Created mission")
    assert (mission.organisation, mission.owner, mission.slug) == (
        cast.org,
        None,
        "created-mission",
    )


def mission_edited(cast, v):
    mission = Mission.objects.get(slug=v["mission_slug"])
    assert (mission.title, mission.organisation, mission.owner) == ("Edited", cast.org, cast.owner)


def goal_in_mission(title):
    def check(cast, v):
        assert Goal.objects.get(title=title).mission.slug == v["mission_slug"]
        assert Goal.objects.get(title=title).mission.organisation == cast.org

    return check


def milestone_added(cast, v):
    assert Milestone.objects.get(title="Added milestone").mission.slug == v["mission_slug"]


def metric_in_mission(name):
    def check(cast, v):
        metric = Metric.objects.get(name=name)
        assert metric.mission.slug == v["mission_slug"]
        assert metric.mission.organisation == cast.org
        assert metric.owner is None

    return check


def checked_in(cast, v):
    checkin = CheckIn.objects.get(note="Forged fields")
    assert (checkin.author, str(checkin.metric.uid)) == (cast.member, v["metric_uid"])


def team_created(cast, v):
    team = Team.objects.get(name="Created team")
    assert (team.organisation, team.slug) == (cast.org, "created-team")


def team_edited(cast, v):
    team = Team.objects.get(slug=v["team_slug"])
    assert (team.name, team.organisation) == ("Edited team", cast.org)


def role_changed(cast, v):
    membership = Membership.objects.get(uid=v["membership_uid"])
    assert (membership.user, membership.organisation, membership.role) == (
        cast.member,
        cast.org,
        Role.ADMIN,
    )


def invited(cast, v):
    invitation = Invitation.objects.get(email="invited@elsewhere.example")
    assert (invitation.organisation, invitation.invited_by) == (cast.org, cast.admin)
    assert FORGED_TOKEN not in (invitation.token_hash, token_digest(FORGED_TOKEN))


def stakeholder_in_org(name):
    def check(cast, v):
        assert Stakeholder.objects.get(name=name).organisation == cast.org

    return check


def linked(cast, v):
    link = StakeholderLink.objects.get(stakeholder__name="Newly linked")
    assert link.mission.slug == v["mission_slug"]


def aligned(cast, v):
    alignment = Alignment.objects.get(team__name="Newly aligned")
    assert alignment.mission.slug == v["mission_slug"]


def resourced(cast, v):
    assert Resource.objects.get(name="Added money").mission.slug == v["mission_slug"]


def proposed(cast, v):
    idea = Idea.objects.get(title="Proposed idea")
    assert (idea.author, idea.state, idea.mission.slug) == (
        cast.member,
        IdeaState.OPEN,
        v["mission_slug"],
    )


def drafted(cast, v):
    report = Report.objects.get(title="Drafted report")
    assert (report.organisation, report.author, report.published_at) == (cast.org, cast.admin, None)
    assert (report.published_by, report.version) == (None, 1)


def settings_saved(cast, v):
    assert set(Membership.objects.filter(organisation=cast.org).values_list("role", flat=True)) == {
        Role.OWNER,
        Role.ADMIN,
        Role.MEMBER,
        Role.VIEWER,
    }
    assert Membership.objects.get(organisation=cast.org, role=Role.OWNER).user == cast.owner


def shared(cast, v):
    link = ShareLink.objects.get(label="Forged fields")
    assert (link.organisation, link.created_by, link.mission.slug) == (
        cast.org,
        cast.owner,
        "open-mission",
    )
    assert (link.token_hash, link.view_count, link.revoked_at) != (FORGED_TOKEN, 99, None)
    assert link.token_hash not in (FORGED_TOKEN, token_digest(FORGED_TOKEN))
    assert link.view_count == 0


def own_account(cast, v):
    member = User.objects.get(pk=cast.member.pk)
    assert not member.is_staff and not member.is_superuser


CASES = [
    Case(
        "mission create",
        "admin",
        o("missions/new/"),
        lambda c, v: {"title": "Created mission", **MISSION},
        mission_created,
        offered=("owner",),
    ),
    Case(
        "mission edit",
        "owner",
        o(M + "edit/"),
        lambda c, v: {"title": "Edited", **MISSION, "owner": c.owner.email, "version": "1"},
        mission_edited,
        offered=("owner", "version"),  # the version is offered: the optimistic check
    ),
    Case(
        "goal add",
        "admin",
        o(M + "goals/"),
        lambda c, v: {"goal-title": "Added goal", "goal-weight": "1"},
        goal_in_mission("Added goal"),
        prefix="goal-",
        offered=("owner",),
    ),
    Case(
        "goal edit",
        "admin",
        o(M + "goals/{goal_uid}/"),
        lambda c, v: {"title": "Edited goal", "weight": "1", "version": "1"},
        goal_in_mission("Edited goal"),
        offered=("owner", "version"),  # the version is offered: the optimistic check
    ),
    Case(
        "milestone add",
        "admin",
        o(M + "milestones/"),
        lambda c, v: {"milestone-title": "Added milestone", "milestone-due_on": "2026-09-01"},
        milestone_added,
        prefix="milestone-",
        offered=("owner",),  # a milestone has an owner now, a member or an invitation
    ),
    Case(
        "metric add",
        "admin",
        o(M + "metrics/new/"),
        lambda c, v: {
            "name": "Added metric",
            "kind": "outcome",
            "format": "number",
            "direction": "increase",
            "cadence": "monthly",
            "weight": "1",
        },
        metric_in_mission("Added metric"),
        offered=("owner",),
    ),
    Case(
        "metric edit",
        "admin",
        o(M + "metrics/{metric_uid}/edit/"),
        lambda c, v: {
            "name": "Edited metric",
            "kind": "outcome",
            "format": "number",
            "direction": "increase",
            "cadence": "monthly",
            "weight": "1",
            "version": "1",
        },
        metric_in_mission("Edited metric"),
        offered=("owner", "version"),  # the version is offered: the optimistic check
    ),
    Case(
        "check-in",
        "member",
        o(M + "metrics/{metric_uid}/check-in/"),
        lambda c, v: {
            "value": "25",
            "confidence": "on_track",
            "for_date": "2026-05-01",
            "note": "Forged fields",
        },
        checked_in,
    ),
    Case(
        "team create",
        "admin",
        o("teams/"),
        lambda c, v: {"name": "Created team"},
        team_created,
    ),
    Case(
        "team edit",
        "admin",
        o("teams/{team_slug}/"),
        lambda c, v: {"name": "Edited team"},
        team_edited,
    ),
    Case(
        "member role",
        "owner",
        o("members/{membership_uid}/role/"),
        lambda c, v: {"role": Role.ADMIN},
        role_changed,
        offered=("role",),
    ),
    Case(
        "invitation",
        "admin",
        o("members/invite/"),
        lambda c, v: {"email": "invited@elsewhere.example", "role": Role.MEMBER},
        invited,
        offered=("role",),
    ),
    Case(
        "stakeholder create",
        "admin",
        o("stakeholders/"),
        lambda c, v: {"name": "Registered", "kind": "customer"},
        stakeholder_in_org("Registered"),
    ),
    Case(
        "stakeholder edit",
        "admin",
        o("stakeholders/{stakeholder_uid}/"),
        lambda c, v: {"name": "Re-registered", "kind": "supplier"},
        stakeholder_in_org("Re-registered"),
    ),
    Case(
        "stakeholder link",
        "owner",
        o(M + "stakeholders/"),
        lambda c, v: {
            "stakeholder": StakeholderFactory(organisation=c.org, name="Newly linked").uid,
            "interest": "Cares",
        },
        linked,
    ),
    Case(
        "alignment",
        "owner",
        o(M + "alignment/teams/"),
        lambda c, v: {
            "alignment-team": TeamFactory(organisation=c.org, name="Newly aligned").slug,
            "alignment-role": "contributor",
            "alignment-capacity": "10",
        },
        aligned,
        prefix="alignment-",
        offered=("role",),
    ),
    Case(
        "resource",
        "owner",
        o(M + "alignment/resources/"),
        lambda c, v: {
            "resource-kind": "budget",
            "resource-name": "Added money",
            "resource-amount": "100",
            "resource-currency": "GBP",
            "resource-period": "one_off",
        },
        resourced,
        prefix="resource-",
    ),
    Case(
        "idea",
        "member",
        o(M + "ideas/"),
        lambda c, v: {"title": "Proposed idea"},
        proposed,
    ),
    Case(
        "report",
        "admin",
        o("reports/new/"),
        lambda c, v: {
            "title": "Drafted report",
            "period": "custom",
            "period_start": "2026-04-01",
            "period_end": "2026-04-30",
            "missions": v["mission_slug"],  # a draft holds at least one mission
        },
        drafted,
    ),
    Case(
        "settings",
        "owner",
        o("settings/"),
        lambda c, v: {
            "name": "Acme Missions",
            "slug": "acme",
            "time_zone": "Europe/London",
            "week_starts_on": "0",
        },
        settings_saved,
        offered=("slug",),
    ),
    Case(
        "share link",
        "owner",
        o("missions/open-mission/share/"),
        lambda c, v: {"label": "Forged fields"},
        shared,
    ),
    Case(
        "profile",
        "member",
        lambda v: "/accounts/profile/",
        lambda c, v: {"name": "Member Renamed", "email": c.member.email},
        own_account,
    ),
    Case(
        "email preferences",
        "member",
        lambda v: "/accounts/emails/",
        lambda c, v: {"receive_reminders": "on", "reminder_hour": "9"},
        own_account,
    ),
]


def refusals(response) -> str:
    return " / ".join(
        re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    )


def nothing_reached_the_outsider(cast) -> None:
    other = cast.other_org
    assert not Membership.objects.filter(organisation=cast.org, user=cast.outsider).exists()
    assert list(Membership.objects.filter(organisation=other).values_list("user", "role")) == [
        (cast.outsider.pk, Role.OWNER)
    ]
    for rows in (other.missions, other.teams, other.stakeholders, other.reports, other.share_links):
        assert not rows.exists()
    assert not Invitation.objects.filter(organisation=other).exists()
    assert not User.objects.filter(is_staff=True).exists()
    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fields_the_form_does_not_offer_are_ignored(case, cast, victim, login):
    values = victim.values
    client = login(getattr(cast, case.actor))
    data = case.data(cast, values) | forged(cast, case.prefix, case.offered)

    response = client.post(case.url(values), data)

    assert response.status_code == 302, refusals(response)
    case.check(cast, values)
    nothing_reached_the_outsider(cast)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("missions/new/", {"title": "Offered", **MISSION}),
        (M + "goals/{goal_uid}/", {"title": "Offered", "weight": "1"}),
        (
            M + "metrics/new/",
            {
                "name": "Offered",
                "kind": "outcome",
                "format": "number",
                "direction": "increase",
                "cadence": "monthly",
                "weight": "1",
            },
        ),
    ],
    ids=["mission", "goal", "metric"],
)
def test_an_owner_from_another_organisation_is_refused(path, data, cast, victim, login):
    client = login(cast.owner)

    response = client.post(o(path)(victim.values), data | {"owner": cast.outsider.email})

    assert response.status_code == 400
    assert not Mission.objects.filter(owner=cast.outsider).exists()
    assert not Goal.objects.filter(owner=cast.outsider).exists()
    assert not Metric.objects.filter(owner=cast.outsider).exists()


def test_a_team_lead_from_another_organisation_is_refused(cast, victim, login):
    client = login(cast.admin)

    response = client.post(o("teams/")(victim.values), {"name": "Led", "lead": cast.outsider.email})

    assert response.status_code == 400
    assert not Team.objects.filter(lead=cast.outsider).exists()


def test_the_frozen_day_is_the_victims(victim):
    assert datetime.date.today() == datetime.date(2026, 5, 12)
