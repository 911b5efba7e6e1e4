"""The permission policy's rules, on plain values: no database."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from orgs import policy
from orgs.roles import Role

ME, SOMEONE = 1, 2


@dataclass
class Member:
    role: str
    user_id: int = ME


@dataclass
class Thing:
    owner_id: int | None = None
    visibility: str = "organisation"


@dataclass
class Report:
    author_id: int | None = SOMEONE
    published_at: datetime | None = None


ROLES = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]


@pytest.mark.parametrize(
    ("role", "contributes", "manages"),
    [(Role.VIEWER, False, False), (Role.MEMBER, True, False), (Role.ADMIN, True, True)],
)
def test_roles_set_the_floor(role, contributes, manages):
    assert policy.can_contribute(Member(role)) is contributes
    assert policy.can_manage(Member(role)) is manages


@pytest.mark.parametrize("role", ROLES)
def test_a_private_mission_is_for_admins_and_its_owner(role):
    private = Thing(owner_id=SOMEONE, visibility="private")
    assert policy.can_see_mission(Member(role), private) is (role in (Role.ADMIN, Role.OWNER))
    assert policy.can_see_mission(Member(role), Thing(owner_id=ME, visibility="private"))


def test_the_visibility_filter_is_none_for_admins_and_a_filter_for_the_rest():
    assert policy.visible_missions(Member(Role.ADMIN)) is None
    assert policy.visible_missions(Member(Role.VIEWER)) is not None


@pytest.mark.parametrize("role", ROLES)
def test_owning_a_mission_lifts_a_member_but_not_a_viewer(role):
    theirs, mine = Thing(owner_id=SOMEONE), Thing(owner_id=ME)
    admin = role in (Role.ADMIN, Role.OWNER)
    assert policy.can_edit_mission(Member(role), theirs) is admin
    assert policy.can_edit_mission(Member(role), mine) is (role != Role.VIEWER)


@pytest.mark.parametrize("role", ROLES)
def test_a_metrics_owner_checks_in_on_it(role):
    theirs = Thing(owner_id=SOMEONE)
    assert policy.can_check_in(Member(role), Thing(owner_id=ME), theirs) is (role != Role.VIEWER)
    assert policy.can_check_in(Member(role), Thing(owner_id=SOMEONE), theirs) is (
        role in (Role.ADMIN, Role.OWNER)
    )


def test_only_owners_make_owners():
    assert Role.OWNER in policy.roles_granted_by(Member(Role.OWNER))
    assert Role.OWNER not in policy.roles_granted_by(Member(Role.ADMIN))
    assert policy.can_change_owners(Member(Role.OWNER))
    assert not policy.can_change_owners(Member(Role.ADMIN))


def test_a_member_drafts_reports_only_while_owning_a_live_mission():
    assert policy.can_draft_reports(Member(Role.MEMBER), owns_a_live_mission=True)
    assert not policy.can_draft_reports(Member(Role.MEMBER), owns_a_live_mission=False)
    assert not policy.can_draft_reports(Member(Role.VIEWER), owns_a_live_mission=True)
    assert policy.can_draft_reports(Member(Role.ADMIN), owns_a_live_mission=False)


def test_a_report_is_edited_by_whoever_owns_every_mission_in_it():
    member = Member(Role.MEMBER)
    assert policy.can_edit_report(member, Report(), [Thing(ME), Thing(ME)])
    assert not policy.can_edit_report(member, Report(), [Thing(ME), Thing(SOMEONE)])
    assert policy.can_edit_report(member, Report(author_id=ME), [])
    assert not policy.can_edit_report(Member(Role.VIEWER), Report(author_id=ME), [Thing(ME)])


def test_a_draft_is_read_by_admins_its_author_and_its_missions_owners():
    draft, published = Report(), Report(published_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert policy.can_see_report(Member(Role.VIEWER), published, [])
    assert not policy.can_see_report(Member(Role.VIEWER), draft, [Thing(SOMEONE)])
    assert policy.can_see_report(Member(Role.MEMBER), draft, [Thing(ME)])
    assert policy.can_see_report(Member(Role.MEMBER), Report(author_id=ME), [Thing(SOMEONE)])
    assert policy.can_see_report(Member(Role.ADMIN), draft, [])


def test_a_draft_is_lost_with_the_role_or_a_mission_that_turned_private():
    mine = Report(author_id=ME)
    assert not policy.can_see_report(Member(Role.VIEWER), mine, [Thing(ME)])  # demoted
    taken_back = Thing(owner_id=SOMEONE, visibility="private")
    assert not policy.can_see_report(Member(Role.MEMBER), mine, [taken_back])
    assert not policy.can_see_report(Member(Role.MEMBER), Report(), [Thing(ME), taken_back])
    assert policy.can_see_report(Member(Role.ADMIN), mine, [taken_back])


def test_a_published_report_never_shows_a_private_mission():
    assert policy.can_publish_mission(Thing(owner_id=ME))
    assert not policy.can_publish_mission(Thing(owner_id=ME, visibility="private"))
