"""Two people editing one mission in real browsers. Edits of different fields merge: the
later save keeps the earlier one's change and says so. When both changed a field, the
later save is refused, says who saved first, keeps what was typed beside what is stored
now, and, saved again, keeps every change nobody disputed."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from audit.models import Action, Change, Subject
from missions.models import Mission
from orgs.models import User
from tests.conftest import Cast
from tests.factories import PASSWORD, MissionFactory

pytestmark = pytest.mark.browser


def log_in(page: Page, user: User) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in").click()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Missions")


def open_in_two_tabs(new_page, cast: Cast) -> tuple[Mission, str, Page, Page]:
    mission = MissionFactory(
        organisation=cast.org, title="Zero waste", slug="zero-waste", owner=cast.member
    )
    edit_url = f"/o/acme/missions/{mission.slug}/edit/"
    admin, member = new_page(), new_page()
    for page, person in ((admin, cast.admin), (member, cast.member)):
        log_in(page, person)
        page.goto(edit_url)
        expect(page.get_by_role("heading", name="Edit mission", level=1)).to_be_visible()
    return mission, edit_url, admin, member


def edits_by(mission: Mission) -> list[tuple[str, dict, dict]]:
    """The mission's recorded edits, oldest first: who, and the fields before and after."""
    changes = Change.objects.filter(
        subject=Subject.MISSION, object_id=mission.pk, action=Action.UPDATE
    ).order_by("at", "id")
    return [(change.actor_label, change.before, change.after) for change in changes]


def test_edits_of_different_fields_in_two_tabs_both_survive(
    new_page: Callable[[], Page], cast: Cast, shot, console_errors
) -> None:
    """Issue 15's scenario: A changes the title; B, opened before, changes only the
    problem. B's save goes through, keeps A's title, and says so."""
    mission, _, admin, member = open_in_two_tabs(new_page, cast)

    admin.get_by_label("Title").fill("Zero waste by 2030")
    admin.get_by_role("button", name="Save mission").click()
    expect(admin.get_by_role("status")).to_contain_text("Mission saved.")

    member.get_by_label("Problem").fill("Half our food is thrown away.")
    member.get_by_role("button", name="Save mission").click()

    expect(member.get_by_role("status")).to_contain_text(
        re.compile(
            r"Mission saved\. Acme Admin changed it at \d\d:\d\d too; their change to Title "
            r"is kept\."
        )
    )
    expect(member.get_by_role("heading", level=1)).to_have_text("Zero waste by 2030")
    shot(member, "edits-merged")
    saved = Mission.objects.get(pk=mission.pk)
    assert (saved.title, saved.problem) == ("Zero waste by 2030", "Half our food is thrown away.")
    assert edits_by(mission) == [
        ("Acme Admin", {"title": "Zero waste"}, {"title": "Zero waste by 2030"}),
        ("Acme Member", {"problem": ""}, {"problem": "Half our food is thrown away."}),
    ]


def test_a_field_both_changed_is_shown_both_ways_and_saving_again_keeps_the_rest(
    new_page: Callable[[], Page], cast: Cast, shot, console_errors
) -> None:
    mission, _, admin, member = open_in_two_tabs(new_page, cast)

    admin.get_by_label("Title").fill("Zero waste by 2030")
    admin.get_by_label("Purpose").fill("Send nothing to landfill.")
    admin.get_by_role("button", name="Save mission").click()
    expect(admin.get_by_role("status")).to_contain_text("Mission saved.")

    member.get_by_label("Title").fill("No more waste")
    member.get_by_label("Problem").fill("Half our food is thrown away.")
    console_errors.allow(r"/missions/zero-waste/edit/: .*status of 409")
    member.get_by_role("button", name="Save mission").click()

    expect(member.get_by_role("alert")).to_contain_text(
        re.compile(
            r"Acme Admin changed this mission at \d\d:\d\d while you were editing\. Their "
            r"change to Purpose is kept\. You both changed Title: yours is in the form, with "
            r"the value stored now beside it\."
        )
    )
    title = member.get_by_label("Title")
    expect(title).to_have_value("No more waste")  # yours...
    expect(title).to_have_accessible_description(re.compile("Stored now: Zero waste by 2030"))
    expect(member.get_by_label("Purpose")).to_have_value("Send nothing to landfill.")  # theirs
    expect(member.get_by_label("Problem")).to_have_value("Half our food is thrown away.")
    expect(member.get_by_text("Stored now:")).to_have_count(1)
    shot(member, "edit-conflict")
    assert Mission.objects.get(pk=mission.pk).problem == ""  # nothing of B's saved yet

    member.get_by_role("button", name="Save mission").click()

    expect(member.get_by_role("status")).to_contain_text("Mission saved.")
    saved = Mission.objects.get(pk=mission.pk)
    assert (saved.title, saved.purpose, saved.problem) == (
        "No more waste",
        "Send nothing to landfill.",
        "Half our food is thrown away.",
    )
    assert saved.version == 3
    assert edits_by(mission)[-1] == (
        "Acme Member",
        {"title": "Zero waste by 2030", "problem": ""},
        {"title": "No more waste", "problem": "Half our food is thrown away."},
    )
