"""Missions in a real browser: a template drafted, goals shaped, teams aligned, ideas taken up."""

import datetime
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Locator, Page, expect

from metrics import catalogue
from metrics.services import mission_create_from_template
from missions.models import Alignment, Goal, Idea, IdeaState, Mission, Resource
from orgs.models import User
from tests.conftest import Cast
from tests.factories import PASSWORD, TeamFactory

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], None]
NET_ZERO = "Net zero operations"
TITLE = "Net zero at Acme"
# Set on `window` before an htmx request; a full page load would wipe it.
MARKER = "window.__waymarkNoReload"


def exactly(label: str) -> re.Pattern[str]:
    """A field's whole label, which Django ends with a colon."""
    return re.compile(rf"^{re.escape(label)}:?$")


def log_in(page: Page, user: User) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in").click()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Missions")


def org_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Acme Missions")


def region(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True)


def set_no_reload_marker(page: Page) -> None:
    page.evaluate(f"{MARKER} = true")


def assert_no_reload_since_marker(page: Page) -> None:
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded, not swapped in place"


def drafted_mission(cast: Cast) -> Mission:
    """The net zero template drafted by the admin, as "Create a draft mission" does."""
    template = catalogue.get_template("net-zero-operations")
    assert template is not None
    return mission_create_from_template(cast.org, template, cast.admin, title=TITLE)


def open_mission(page: Page, title: str = TITLE) -> None:
    org_nav(page).get_by_role("link", name="Missions", exact=True).click()
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_admin_drafts_a_mission_from_a_template_and_makes_it_active(
    page: Page, cast: Cast, shot: Shot, console_errors
) -> None:
    # 1. From the Missions page to the template library and a drafted mission.
    log_in(page, cast.admin)
    org_nav(page).get_by_role("link", name="Missions", exact=True).click()
    expect(page.get_by_role("heading", name="Missions", level=1)).to_be_visible()
    shot(page, "missions-empty")
    page.get_by_role("link", name="Start from a template").first.click()
    expect(page.get_by_role("heading", name="Start from a template", level=1)).to_be_visible()
    shot(page, "templates")
    page.get_by_role("link", name=NET_ZERO, exact=True).click()
    expect(page.get_by_role("heading", name=NET_ZERO, level=1)).to_be_visible()
    title = page.get_by_label("Mission title")
    expect(title).to_have_value(NET_ZERO)
    shot(page, "template-detail")
    title.fill(TITLE)
    page.get_by_role("button", name="Create a draft mission").click()

    expect(page).to_have_url(re.compile(r"/o/acme/missions/net-zero-at-acme/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("status")).to_contain_text(f"“{TITLE}” is drafted from the template.")
    expect(page.locator(".mission-meta .status-chip")).to_have_text("Draft")
    health = region(page, "Mission health check")
    expect(health.get_by_role("listitem")).to_have_count(3)
    expect(health).to_contain_text(re.compile(r"6 metrics have no baseline"))
    expect(health).to_contain_text("No team leads it.")
    expect(health).to_contain_text("No stakeholders are linked")
    expect(region(page, "Goals").get_by_role("heading", level=3)).to_have_count(3)
    shot(page, "drafted")
    mission = Mission.objects.get(organisation=cast.org, title=TITLE)
    assert mission.owner == cast.admin
    assert mission.status == "draft"

    # 2. An end date before the start is refused beside the field, and nothing is saved.
    page.get_by_role("link", name="Edit mission").click()
    expect(page.get_by_role("heading", name="Edit mission", level=1)).to_be_visible()
    page.get_by_label("Status").select_option(label="Active")
    page.get_by_label("Starts on").fill("2026-04-01")
    page.get_by_label("Ends on").fill("2026-03-01")
    console_errors.allow(r"/missions/net-zero-at-acme/edit/: .*status of 400")
    page.get_by_role("button", name="Save mission").click()

    ends_on = page.get_by_label("Ends on")
    expect(ends_on).to_have_attribute("aria-invalid", "true")
    expect(ends_on).to_have_accessible_description(
        re.compile("The end date must be after the start date.")
    )
    expect(page.get_by_label("Status")).to_have_value("active")
    shot(page, "edit-error")
    unchanged = Mission.objects.get(pk=mission.pk)
    assert (unchanged.status, unchanged.starts_on, unchanged.ends_on) == (
        "draft",
        mission.starts_on,
        mission.ends_on,
    )

    ends_on.fill("2030-03-31")
    page.get_by_role("button", name="Save mission").click()
    expect(page.get_by_role("status")).to_contain_text("Mission saved.")
    expect(page.locator(".mission-meta .status-chip")).to_have_text("Active")
    expect(page.locator(".mission-meta")).to_contain_text("Apr 2026 – Mar 2030")
    shot(page, "active")
    mission.refresh_from_db()
    assert mission.status == "active"
    assert mission.starts_on == datetime.date(2026, 4, 1)
    assert mission.ends_on == datetime.date(2030, 3, 31)


def test_goals_are_added_and_reordered_in_place_and_a_milestone_is_marked_done(
    page: Page, cast: Cast, shot: Shot, console_errors
) -> None:
    mission = drafted_mission(cast)
    log_in(page, cast.admin)
    open_mission(page)
    mission_url = page.url
    goals = region(page, "Goals")
    health = region(page, "Mission health check")
    expect(health).not_to_contain_text("has no metric")

    # 3. A goal added from the quick add is swapped in, and the health check follows it.
    set_no_reload_marker(page)
    goals.get_by_role("link", name="+ Add a goal").click()
    expect(goals.get_by_label(exactly("Title"))).to_be_focused()
    goals.get_by_label(exactly("Title")).fill("Publish our footprint every year")
    goals.get_by_label("Weight").fill("10")
    shot(page, "goal-quick-add")
    goals.get_by_role("button", name="Add goal").click()

    expect(goals.get_by_role("heading", level=3).last).to_have_text(
        "Publish our footprint every year"
    )
    expect(health).to_contain_text("1 goal has no metric, so progress cannot be measured.")
    assert_no_reload_since_marker(page)
    assert page.url == mission_url
    expect(goals.get_by_role("link", name="+ Add a goal")).to_be_visible()
    shot(page, "goal-added")

    console_errors.allow(r"/missions/net-zero-at-acme/: .*status of 422")
    goals.get_by_role("link", name="+ Add a goal").click()
    goals.get_by_label(exactly("Title")).fill("Weigh everything twice")
    goals.get_by_label("Weight").fill("500")
    goals.get_by_role("button", name="Add goal").click()

    weight = goals.get_by_label("Weight")
    expect(weight).to_have_accessible_description(re.compile("Enter a weight from 1 to 100."))
    expect(weight).to_have_attribute("aria-invalid", "true")
    expect(goals.get_by_label(exactly("Title"))).to_have_value("Weigh everything twice")
    expect(goals.get_by_role("heading", level=3)).to_have_count(4)
    assert_no_reload_since_marker(page)
    shot(page, "goal-weight-error")
    assert not Goal.objects.filter(title="Weigh everything twice").exists()

    # 4. Goals move up and down in place; a milestone is marked done.
    goals.get_by_role("button", name="Move “Publish our footprint every year” up").click()
    expect(goals.get_by_role("heading", level=3)).to_have_text(
        [
            "Cut direct and energy emissions by 90%",
            "Cut the emissions in what we buy and how we travel",
            "Publish our footprint every year",
            "Win work because of it",
        ]
    )
    goals.get_by_role("button", name="Move “Cut direct and energy emissions by 90%” down").click()
    expected_order = [
        "Cut the emissions in what we buy and how we travel",
        "Cut direct and energy emissions by 90%",
        "Publish our footprint every year",
        "Win work because of it",
    ]
    expect(goals.get_by_role("heading", level=3)).to_have_text(expected_order)
    assert_no_reload_since_marker(page)
    assert list(mission.goals.values_list("title", flat=True)) == expected_order
    page.reload()
    expect(goals.get_by_role("heading", level=3)).to_have_text(expected_order)

    milestones = region(page, "Milestones")
    first = milestones.get_by_role("listitem").filter(has_text="Baseline footprint measured")
    first.get_by_role("button", name=re.compile("^Mark done")).click()
    today = timezone.localdate()
    expect(first).to_contain_text(f"done {date_format(today, 'j M Y')}")
    expect(first.get_by_role("button", name=re.compile("^Reopen"))).to_be_visible()
    shot(page, "milestone-done")
    assert mission.milestones.get(title__startswith="Baseline footprint").done_on == today


def test_admin_aligns_a_lead_team_and_a_budget_then_sees_them_across_the_organisation(
    page: Page, cast: Cast, shot: Shot, console_errors
) -> None:
    mission = drafted_mission(cast)
    TeamFactory(organisation=cast.org, name="Operations")
    TeamFactory(organisation=cast.org, name="Facilities")
    log_in(page, cast.admin)
    open_mission(page)

    # 5. A lead team and a budget line on the Teams and resources tab.
    page.get_by_role("navigation", name=TITLE).get_by_role(
        "link", name="Teams and resources"
    ).click()
    teams = region(page, "Teams")
    expect(teams).to_contain_text("No team is aligned to this mission yet.")
    shot(page, "alignment-empty")
    teams.get_by_label(exactly("Team")).select_option(label="Operations")
    teams.get_by_label("Role").select_option(label="Lead")
    teams.get_by_label("Share of capacity (%)").fill("40")
    teams.get_by_role("button", name="Align team").click()
    expect(teams.get_by_role("status")).to_have_text(
        "Operations aligned as lead with 40 % of its time."
    )
    aligned = teams.get_by_role("listitem").filter(has_text="Operations")
    expect(aligned).to_contain_text("Lead")
    expect(aligned).to_contain_text("40 % of its time")

    console_errors.allow(r"/missions/net-zero-at-acme/alignment/: .*status of 422")
    teams.get_by_label(exactly("Team")).select_option(label="Facilities")
    teams.get_by_label("Share of capacity (%)").fill("150")
    teams.get_by_role("button", name="Align team").click()
    capacity = teams.get_by_label("Share of capacity (%)")
    expect(capacity).to_have_accessible_description(
        re.compile("Enter a share of capacity from 0 to 100 % of the team's time")
    )
    expect(teams.get_by_role("listitem").filter(has_text="Facilities")).to_have_count(0)
    shot(page, "alignment-capacity-error")
    assert list(
        Alignment.objects.filter(mission=mission).values_list("team__name", "capacity")
    ) == [("Operations", 40)]

    resources = region(page, "Resources")
    resources.get_by_label("Kind").select_option(label="Budget")
    resources.get_by_label("What it is").fill("Heat pump")
    resources.get_by_label("Amount").fill("25000")
    resources.get_by_label("Currency").fill("GBP")
    resources.get_by_label("Period").select_option(label="One-off")
    resources.get_by_role("button", name="Add resource").click()
    expect(resources.get_by_role("status")).to_have_text("Added the budget “Heat pump”.")
    expect(resources.get_by_role("listitem").filter(has_text="Heat pump")).to_contain_text(
        "25,000 GBP one-off"
    )
    shot(page, "alignment-done")
    resource = Resource.objects.get(mission=mission)
    assert (resource.name, resource.amount, resource.currency, resource.period) == (
        "Heat pump",
        25000,
        "GBP",
        "one_off",
    )

    page.get_by_role("navigation", name=TITLE).get_by_role("link", name="Overview").click()
    expect(region(page, "Teams")).to_contain_text(re.compile(r"Operations\s+Lead\s*40%"))
    expect(region(page, "Resources")).to_contain_text("GBP 25,000")
    expect(region(page, "Mission health check")).not_to_contain_text("No team leads it.")

    # 7. The organisation's map and alignment matrix show the mission and its teams.
    org_nav(page).get_by_role("link", name="Map").click()
    expect(page.get_by_role("heading", name="Mission map", level=1)).to_be_visible()
    tree = page.get_by_role("list", name="Missions of Acme Missions")
    expect(tree.get_by_role("link", name=TITLE)).to_be_visible()
    expect(tree).to_contain_text("Cut direct and energy emissions by 90%")
    expect(tree).to_contain_text("Heat pump or heat network replaces the gas boiler")
    shot(page, "map")

    org_nav(page).get_by_role("link", name="Alignment").click()
    expect(page.get_by_role("heading", name="Alignment", level=1)).to_be_visible()
    matrix = page.get_by_role("table")
    expect(matrix.get_by_role("columnheader", name=TITLE)).to_be_visible()
    operations = matrix.get_by_role("row").filter(has_text="Operations")
    expect(operations.get_by_role("cell").first).to_contain_text("40 %")
    expect(operations.get_by_role("cell").first).to_contain_text("lead")
    expect(region(page, "Missions with no lead team")).to_contain_text(
        "Every live mission has a lead team."
    )
    expect(region(page, "Teams aligned to nothing").get_by_role("link")).to_have_text(
        ["Facilities"]
    )
    shot(page, "alignment-overview")


def test_member_proposes_an_idea_and_the_admin_accepts_it_as_a_goal_only_once(
    page: Page, new_page: Callable[[], Page], cast: Cast, shot: Shot
) -> None:
    idea_title = "Swap the delivery vans for e-cargo bikes"
    mission = drafted_mission(cast)

    # 6. The member proposes and supports an idea.
    member = page
    log_in(member, cast.member)
    open_mission(member)
    member.get_by_role("navigation", name=TITLE).get_by_role("link", name="Ideas").click()
    member.get_by_label("Your idea or experiment").fill(idea_title)
    member.get_by_label("Description").fill("Most of our deliveries are within three miles.")
    shot(member, "idea-propose")
    member.get_by_role("button", name="Propose").click()
    expect(member.get_by_role("status")).to_contain_text(
        f"“{idea_title}” is proposed. Others can now support it."
    )
    idea_row = member.get_by_role("listitem").filter(
        has=member.get_by_role("heading", name=idea_title)
    )
    expect(idea_row).to_contain_text("Proposed by Acme Member")
    expect(idea_row).to_contain_text("0 supporters")
    set_no_reload_marker(member)
    idea_row.get_by_role("button", name=re.compile("^Support")).click()
    expect(idea_row).to_contain_text("1 supporter")
    expect(idea_row).to_contain_text("You support this idea.")
    expect(idea_row.get_by_role("button", name=re.compile("^Withdraw support"))).to_be_visible()
    assert_no_reload_since_marker(member)
    shot(member, "idea-supported")

    # The admin decides; a second window of theirs still shows the idea as open.
    admin = new_page()
    log_in(admin, cast.admin)
    open_mission(admin)
    admin.get_by_role("navigation", name=TITLE).get_by_role("link", name="Ideas").click()
    ideas_url = admin.url
    stale = new_page()
    log_in(stale, cast.admin)
    stale.goto(ideas_url)

    row = admin.get_by_role("listitem").filter(has=admin.get_by_role("heading", name=idea_title))
    expect(row).to_contain_text("1 supporter")
    row.locator("summary", has_text="Decide").click()
    expect(row.get_by_label("a goal")).to_be_checked()
    shot(admin, "idea-decide")
    row.get_by_role("button", name="Accept", exact=True).click()
    expect(admin.get_by_role("status")).to_contain_text(
        f"“{idea_title}” is accepted and is now a goal."
    )
    expect(row.locator(".status-chip")).to_have_text("Accepted")
    expect(row.locator("summary", has_text="Decide")).to_have_count(0)
    shot(admin, "idea-accepted")
    row.get_by_role("link", name=f"“{idea_title}”").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(region(admin, "Goals").get_by_role("heading", level=3).last).to_have_text(idea_title)
    shot(admin, "overview-with-accepted-goal")

    stale_row = stale.get_by_role("listitem").filter(
        has=stale.get_by_role("heading", name=idea_title)
    )
    stale_row.locator("summary", has_text="Decide").click()
    stale_row.get_by_role("button", name="Accept", exact=True).click()
    expect(stale.get_by_role("status")).to_have_text(
        f"“{idea_title}” has already been decided; nothing changed."
    )
    shot(stale, "idea-accepted-twice")
    idea = Idea.objects.get(mission=mission, title=idea_title)
    assert idea.state == IdeaState.ACCEPTED
    assert idea.decided_by == cast.admin
    assert mission.goals.filter(title=idea_title).count() == 1

    # The member sees the decision, and support is closed.
    member.reload()
    expect(idea_row.locator(".status-chip")).to_have_text("Accepted")
    expect(idea_row.get_by_role("button", name=re.compile("Support"))).to_have_count(0)
