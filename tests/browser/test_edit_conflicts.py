"""Two people editing one mission in real browsers: the later save is refused, says who
saved first, keeps what was typed beside what is stored now, and goes through when saved
again."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

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


def test_the_later_of_two_edits_is_told_and_loses_nothing(
    new_page: Callable[[], Page], cast: Cast, shot, console_errors
) -> None:
    mission = MissionFactory(
        organisation=cast.org, title="Zero waste", slug="zero-waste", owner=cast.member
    )
    edit_url = f"/o/acme/missions/{mission.slug}/edit/"
    admin, member = new_page(), new_page()
    for page, person in ((admin, cast.admin), (member, cast.member)):
        log_in(page, person)
        page.goto(edit_url)
        expect(page.get_by_role("heading", name="Edit mission", level=1)).to_be_visible()

    admin.get_by_label("Title").fill("Zero waste by 2030")
    admin.get_by_role("button", name="Save mission").click()
    expect(admin.get_by_role("status")).to_contain_text("Mission saved.")

    member.get_by_label("Purpose").fill("Send nothing to landfill.")
    console_errors.allow(r"/missions/zero-waste/edit/: .*status of 409")
    member.get_by_role("button", name="Save mission").click()

    expect(member.get_by_role("alert")).to_contain_text(
        re.compile(r"Acme Admin changed this mission at \d\d:\d\d while you were editing\.")
    )
    expect(member.get_by_label("Purpose")).to_have_value("Send nothing to landfill.")
    title = member.get_by_label("Title")
    expect(title).to_have_value("Zero waste")
    expect(title).to_have_accessible_description(re.compile("Stored now: Zero waste by 2030"))
    shot(member, "edit-refused")
    assert Mission.objects.get(pk=mission.pk).purpose == mission.purpose

    title.fill("Zero waste by 2030")
    member.get_by_role("button", name="Save mission").click()
    expect(member.get_by_role("status")).to_contain_text("Mission saved.")
    saved = Mission.objects.get(pk=mission.pk)
    assert (saved.title, saved.purpose) == ("Zero waste by 2030", "Send nothing to landfill.")
    assert saved.version == 3
