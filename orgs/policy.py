"""The permission policy: may this membership do this to this object.

The one place the rules live. Views ask through the access helpers (orgs.access and the
mission and metric lookups built on it), templates through `{% may %}`
(orgs/templatetags/policy.py), and emails and sweeps call these functions directly.

Roles set the floor: viewers read, members contribute, admins and owners manage. Owning
a mission lifts a member to an admin's rights over that mission; owning a metric lets
a member check in on it. Private missions are for admins and their owner alone.

The objects are taken by what the rules read (an owner, a visibility), not by their
model, because orgs sits below the apps that define missions, metrics and reports.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from django.db.models import Q

from orgs.roles import Role

PRIVATE = "private"  # missions.models.Visibility.PRIVATE


class Member(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def user_id(self) -> int: ...


class Owned(Protocol):
    @property
    def owner_id(self) -> int | None: ...


class Visible(Owned, Protocol):
    @property
    def visibility(self) -> str: ...


class Authored(Protocol):
    @property
    def author_id(self) -> int | None: ...
    @property
    def published_at(self) -> datetime | None: ...


# --- The organisation ---------------------------------------------------------------------


def can_contribute(membership: Member) -> bool:
    """Members and up record, propose and comment; viewers only read."""
    return Role.at_least(membership.role, Role.MEMBER)


def can_manage(membership: Member) -> bool:
    """Admins and owners run the organisation: people, teams, settings, sharing."""
    return Role.at_least(membership.role, Role.ADMIN)


def can_change_owners(membership: Member) -> bool:
    """Only an owner makes, demotes or removes an owner."""
    return membership.role == Role.OWNER


# The organisation's pages that only managers act on: anyone may still open them (a link
# from a mission works), but the menu leaves them out for the roles that do not use them.
MANAGERS_PAGES = frozenset({"alignment", "stakeholders", "teams", "people", "settings"})


def in_menu(membership: Member, page: str) -> bool:
    """Whether the organisation's menu offers this page: each role what it uses. My
    check-ins is for those who record check-ins; the managers' pages for managers."""
    if page == "my_checkins":
        return can_contribute(membership)
    return page not in MANAGERS_PAGES or can_manage(membership)


def needs_two_factor(membership: Member, rule: str) -> bool:
    """Whether the organisation's two-factor rule ("", "managers", "everyone") covers
    this member, who then sets it up before using the organisation."""
    if rule == "everyone":
        return True
    return rule == "managers" and can_manage(membership)


def roles_granted_by(membership: Member) -> list[Role]:
    """The roles this person may give in an invitation or a role change."""
    return [role for role in Role if role != Role.OWNER or can_change_owners(membership)]


def can_invite(membership: Member | None, role: str) -> bool:
    """Whether this person may invite someone as `role`: admins and owners, each up to the
    roles they may grant. Asked again when an invitation is accepted, with the inviter's
    membership as it is then (None once they have left): an invitation dies with its
    sender's right to send it."""
    return (
        membership is not None and can_manage(membership) and role in roles_granted_by(membership)
    )


# --- Missions -----------------------------------------------------------------------------


def can_see_mission(membership: Member, mission: Visible) -> bool:
    return (
        can_manage(membership)
        or mission.visibility != PRIVATE
        or mission.owner_id == membership.user_id
    )


def visible_missions(membership: Member) -> Q | None:
    """`can_see_mission` as a filter on missions; None when every mission is visible."""
    if can_manage(membership):
        return None
    return ~Q(visibility=PRIVATE) | Q(owner_id=membership.user_id)


def can_edit_mission(membership: Member, mission: Owned) -> bool:
    """Admins and the mission's owner change it: its statement, goals, metrics, milestones,
    alignment, stakeholders and share links. Everyone else who sees it reads it."""
    return can_manage(membership) or (
        can_contribute(membership) and mission.owner_id == membership.user_id
    )


# --- Metrics ------------------------------------------------------------------------------


def can_check_in(membership: Member, metric: Owned, mission: Owned) -> bool:
    """Whoever may edit its mission, and the metric's own owner, record its readings."""
    return can_edit_mission(membership, mission) or (
        can_contribute(membership) and metric.owner_id == membership.user_id
    )


# --- Reports ------------------------------------------------------------------------------


def can_draft_reports(membership: Member, *, owns_a_live_mission: bool) -> bool:
    """Admins, and members who own a live mission (they report on their own missions)."""
    return can_manage(membership) or (can_contribute(membership) and owns_a_live_mission)


def can_edit_report(membership: Member, report: Authored, missions: Collection[Owned]) -> bool:
    """Admins, and a member who owns every mission in it (or wrote it, while it has none).

    `missions` are the report's missions (anything with an owner), one per mission.
    """
    if can_manage(membership):
        return True
    if not can_contribute(membership):
        return False
    if missions:
        return all(mission.owner_id == membership.user_id for mission in missions)
    return report.author_id == membership.user_id


def can_see_report(membership: Member, report: Authored, missions: Collection[Visible]) -> bool:
    """Everyone in the organisation reads a published report (it never holds a private
    mission: see `can_publish_mission`). A draft is drawn from live data, so it is read
    by admins, and by a member who wrote it or owns one of its missions only while they
    may still contribute and see every mission in it: whoever loses the role or a
    mission loses the draft with it.

    `missions` are the report's missions (anything with an owner and a visibility).
    """
    if report.published_at is not None or can_manage(membership):
        return True
    if not can_contribute(membership):
        return False
    if not all(can_see_mission(membership, mission) for mission in missions):
        return False
    return report.author_id == membership.user_id or any(
        mission.owner_id == membership.user_id for mission in missions
    )


def can_publish_mission(mission: Visible) -> bool:
    """Whether a published report may show this mission: everyone in the organisation
    reads a published report, and it can be shared outside it, so never a private one."""
    return mission.visibility != PRIVATE


def publishable_missions() -> Q:
    """`can_publish_mission` as a filter on missions."""
    return ~Q(visibility=PRIVATE)
