"""Metrics in a real browser: one added to a goal, checked in from My check-ins, corrected,
and a history imported from a CSV file after a bad row is fixed."""

import csv
import datetime
import io
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Locator, Page, expect

from metrics.models import CheckIn, Metric
from metrics.rollups import figures_of
from metrics.services import checkin_record
from missions.models import Goal, Mission
from orgs.models import User
from tests.conftest import Cast
from tests.factories import PASSWORD, GoalFactory, MetricFactory, MissionFactory

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], None]
MISSION = "Clean air for Acme"
GOAL = "Halve what our boilers burn"
METRIC = "Gas burnt for heating"
# Set on `window` before an htmx request; a full page load would wipe it.
MARKER = "window.__waymarkNoReload"


def exactly(label: str) -> re.Pattern[str]:
    """A field's whole label, which Django ends with a colon."""
    return re.compile(rf"^{re.escape(label)}:?$")


def day(on: datetime.date) -> str:
    """A date as the pages write it: 7 Mar 2026."""
    return date_format(on, "j M Y")


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


def history_rows(page: Page) -> Locator:
    return page.get_by_role("table", name=re.compile("^Check-ins for")).locator("tbody tr")


def visible_chart(page: Page) -> Locator:
    # One drawing per container width; the stylesheet shows the one that fits.
    return region(page, "Chart").locator("svg[role=img]:visible")


def members_mission(cast: Cast) -> tuple[Mission, Goal]:
    """An active mission the member owns, with one goal and no metric yet."""
    mission = MissionFactory(organisation=cast.org, title=MISSION, owner=cast.member)
    return mission, GoalFactory(mission=mission, title=GOAL)


def open_mission(page: Page) -> None:
    org_nav(page).get_by_role("link", name="Missions", exact=True).click()
    page.get_by_role("link", name=MISSION, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(MISSION)


def set_no_reload_marker(page: Page) -> None:
    page.evaluate(f"{MARKER} = true")


def assert_no_reload_since_marker(page: Page) -> None:
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded, not swapped in place"


def test_mission_owner_adds_a_metric_checks_in_from_my_checkins_and_corrects_the_value(
    page: Page, cast: Cast, shot: Shot, console_errors
) -> None:
    today = timezone.localdate()
    baseline_on = today - datetime.timedelta(days=182)
    target_on = today.replace(year=today.year + 3, day=min(today.day, 28))
    mission, goal = members_mission(cast)
    log_in(page, cast.member)
    open_mission(page)

    # 1. The mission's owner adds a metric under the goal; a target before the baseline is refused.
    goals = region(page, "Goals")
    goals.get_by_role("link", name=f"+ Add a metric to “{GOAL}”").click()
    expect(page.get_by_role("heading", name="New metric", level=1)).to_be_visible()
    page.get_by_label(exactly("Name")).fill(METRIC)
    page.get_by_label("Kind").select_option(label="Outcome")
    page.get_by_label("Unit").fill("MWh")
    page.get_by_label("Direction").select_option(label="Decrease to the target")
    page.get_by_label(exactly("Baseline")).fill("120")
    page.get_by_label("Baseline date").fill(baseline_on.isoformat())
    page.get_by_label(exactly("Target")).fill("12")
    page.get_by_label("Target date").fill((baseline_on - datetime.timedelta(days=1)).isoformat())
    page.get_by_label("Cadence").select_option(label="Monthly")
    page.get_by_label("First check-in due").fill(today.isoformat())
    page.get_by_label("Owner").select_option(label="Acme Member")
    shot(page, "metric-form")
    console_errors.allow(r"/metrics/new/: .*status of 400")
    page.get_by_role("button", name="Add metric").click()

    target_date = page.get_by_label("Target date")
    expect(target_date).to_have_attribute("aria-invalid", "true")
    expect(target_date).to_have_accessible_description(
        re.compile("The target date must be after the baseline date.")
    )
    expect(page.get_by_label(exactly("Name"))).to_have_value(METRIC)
    expect(page.get_by_label("Direction")).to_have_value("decrease")
    shot(page, "metric-form-error")
    assert not Metric.objects.exists()

    target_date.fill(target_on.isoformat())
    page.get_by_role("button", name="Add metric").click()
    expect(page.get_by_role("status")).to_contain_text(f"Metric “{METRIC}” added to “{GOAL}”.")
    expect(page.get_by_role("heading", level=1)).to_have_text(METRIC)
    expect(page.locator(".mission-meta")).to_contain_text("Decrease to the target")
    expect(page.locator(".mission-meta")).to_contain_text("Owner: Acme Member")
    expect(region(page, "History")).to_contain_text("No check-ins yet.")
    shot(page, "metric-new")
    metric = Metric.objects.get(name=METRIC)
    assert (metric.mission, metric.goal, metric.owner) == (mission, goal, cast.member)
    assert (metric.kind, metric.direction, metric.cadence) == ("outcome", "decrease", "monthly")
    assert (metric.baseline_value, metric.baseline_on) == (Decimal(120), baseline_on)
    assert (metric.target_value, metric.target_on) == (Decimal(12), target_on)
    assert metric.next_due_on == today  # the day chosen, not a cadence after the baseline

    # 2. My check-ins lists it as due today; a check-in is swapped in without leaving the page.
    org_nav(page).get_by_role("link", name="My check-ins").click()
    expect(page.get_by_role("heading", name="My check-ins", level=1)).to_be_visible()
    my_checkins_url = page.url
    row = page.locator(f"#checkin-{metric.uid}")
    expect(row.get_by_role("heading", level=3)).to_have_text(METRIC)
    expect(row).to_contain_text(f"{MISSION} · {GOAL}")
    due_today = page.get_by_role("region", name=re.compile(r"^Due today \d+$"))
    expect(due_today).to_contain_text(METRIC)
    expect(page.locator("#checkin-summary")).to_contain_text("Nothing overdue")
    shot(page, "my-checkins")

    set_no_reload_marker(page)
    row.get_by_label("Value (MWh)").fill("100")
    row.get_by_role("button", name=f"Check in {METRIC}").click()
    expect(row.get_by_role("status")).to_have_text(re.compile(r"Checked in 100 MWh today"))
    expect(row).to_have_class(re.compile(r"\bis-done\b"))
    expect(row).to_contain_text(re.compile(r"Last\s*100 MWh"))
    expect(page.locator("#checkin-summary")).to_contain_text("Nothing overdue")
    # The list regroups: the row moves to when it is next due, and says so with the focus.
    expect(page.get_by_role("region", name=re.compile(r"^Later \d+$"))).to_contain_text(METRIC)
    expect(page.get_by_role("region", name=re.compile(r"^Due today"))).to_have_count(0)
    expect(row.locator(".checkin-done")).to_be_focused()
    assert_no_reload_since_marker(page)
    assert page.url == my_checkins_url
    shot(page, "my-checkins-done")
    assert list(metric.checkins.values_list("value", "for_date", "author")) == [
        (Decimal(100), today, cast.member.pk)
    ]

    console_errors.allow(r"/my-check-ins/: .*status of 422")
    row.locator("summary", has_text="Change it").click()
    value = row.get_by_label("Value (MWh)")
    expect(value).to_have_value("100")  # a correction starts from the reading it replaces
    value.fill("ninety")
    row.get_by_role("button", name=f"Check in {METRIC}").click()
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(value).to_have_accessible_description(re.compile("Enter a number, like 1.5."))
    assert_no_reload_since_marker(page)
    shot(page, "my-checkins-bad-value")
    assert metric.checkins.count() == 1

    # 3. The metric page charts it and lists it; a correction keeps the earlier value.
    row.get_by_role("link", name=METRIC).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(METRIC)
    chart = visible_chart(page)
    expect(chart).to_have_count(1)
    expect(chart.locator("> title")).to_have_text(METRIC)
    expect(chart).to_have_accessible_name(re.compile(f"^{METRIC} "))
    expect(chart.locator(".chart-dots title")).to_have_text([f"{day(today)}: 100 MWh"])
    rows = history_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(day(today))
    expect(rows.first.locator("strong")).to_have_text("100 MWh")
    expect(rows.first).to_contain_text("Checked in by Acme Member")
    shot(page, "metric-checked-in")

    rows.first.get_by_role("link", name=f"Correct the value for {day(today)}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Correct the check-in for {day(today)}"
    )
    expect(page.get_by_label("For the date")).to_be_disabled()
    page.get_by_label("Value (MWh)").fill("95")
    page.get_by_label("Comment").fill("The meter was read twice.")
    shot(page, "correct-checkin")
    page.get_by_role("button", name="Save correction").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(METRIC)
    expect(page.get_by_role("status")).to_contain_text(
        "Check-in corrected. The earlier value is kept in the history."
    )
    expect(rows).to_have_count(2)
    corrected, replaced = rows.nth(0), rows.nth(1)
    expect(corrected.locator("strong")).to_have_text("95 MWh")
    expect(corrected).to_contain_text("Corrected by Acme Member")
    expect(corrected).to_contain_text("was 100 MWh")
    expect(corrected).to_contain_text("The meter was read twice.")
    expect(replaced).to_have_class(re.compile(r"\bis-superseded\b"))
    expect(replaced.locator("del")).to_have_text("100 MWh")
    expect(replaced).to_contain_text("replaced")
    expect(replaced.get_by_role("link", name=re.compile("^Correct"))).to_have_count(0)
    expect(chart.locator(".chart-dots title")).to_have_text([f"{day(today)}: 95 MWh"])
    shot(page, "metric-corrected")
    original, correction = metric.checkins.order_by("created_at", "id")
    assert (original.value, original.is_current) == (Decimal(100), False)
    assert (correction.value, correction.is_current) == (Decimal(95), True)
    assert (correction.corrects, correction.author) == (original, cast.member)
    metric.refresh_from_db()
    assert metric.latest_value == Decimal(95)


def test_owner_imports_a_csv_history_after_fixing_a_bad_row_and_the_overview_shows_progress(
    page: Page, cast: Cast, shot: Shot, console_errors
) -> None:
    today = timezone.localdate()
    _, goal = members_mission(cast)
    metric = MetricFactory(
        goal=goal,
        name=METRIC,
        unit="MWh",
        direction="decrease",
        baseline_value=Decimal(120),
        baseline_on=today - datetime.timedelta(days=182),
        target_value=Decimal(12),
        target_on=today + datetime.timedelta(days=3 * 365),
        cadence="monthly",
        owner=cast.member,
    )
    readings = [
        (today - datetime.timedelta(days=150), "110", "on track", "Winter"),
        (today - datetime.timedelta(days=120), "100", "", ""),
        (today - datetime.timedelta(days=90), "90", "at risk", "New boiler, not yet tuned"),
    ]
    log_in(page, cast.member)
    open_mission(page)
    region(page, "Goals").get_by_role("link", name=METRIC, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(METRIC)

    # 4. A file with a date that doesn't exist: the preview names the row and offers no import.
    region(page, "History").get_by_role("link", name="Import CSV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import values from a CSV file")
    shot(page, "import")
    bad_date = f"31/02/{today.year}"
    table = [["date", "value", "confidence", "comment"]]
    table += [[on.isoformat(), value, confidence, note] for on, value, confidence, note in readings]
    good_date, table[3][0] = table[3][0], bad_date
    console_errors.allow(r"/import/: .*status of 400")
    upload(page, table)

    preview = region(page, "Preview: nothing is saved yet")
    expect(preview).to_contain_text("3 rows: 2 new, 0 replacing a stored value, 1 with problems.")
    expect(preview.get_by_role("alert")).to_contain_text(
        f"Row 4: “{bad_date}” isn't a date. Write dates as 2026-03-31 (or 31/03/2026)."
    )
    bad_row = preview.get_by_role("row", name=re.compile("^Row 4"))
    expect(bad_row).to_contain_text(bad_date)
    expect(bad_row.locator(".errorlist")).to_contain_text("isn't a date")
    expect(preview.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    shot(page, "import-bad-row")
    assert not metric.checkins.exists()

    # The corrected file previews clean, and confirming it saves all three.
    table[3][0] = good_date
    upload(page, table)
    expect(preview).to_contain_text("3 rows: 3 new, 0 replacing a stored value.")
    expect(preview.get_by_role("alert")).to_have_count(0)
    for number, (on, value, _, _) in enumerate(readings, start=2):
        row = preview.get_by_role("row", name=re.compile(f"^Row {number}"))
        expect(row).to_contain_text(day(on))
        expect(row).to_contain_text(f"{value} MWh")
        expect(row).to_contain_text("New")
    shot(page, "import-preview")
    preview.get_by_role("button", name="Import 3 values").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(METRIC)
    expect(page.get_by_role("status")).to_contain_text(f"Imported 3 values for {METRIC}.")
    newest_first = list(reversed(readings))
    history = history_rows(page)
    expect(history).to_have_count(3)
    expect(history.locator("td:first-child")).to_have_text([day(on) for on, *_ in newest_first])
    expect(history.locator("strong")).to_have_text(
        [f"{value} MWh" for _, value, *_ in newest_first]
    )
    expect(history.first).to_contain_text("At risk")
    expect(history.first).to_contain_text("New boiler, not yet tuned")
    chart = visible_chart(page)
    expect(chart.locator(".chart-dots title")).to_have_text(
        [f"{day(on)}: {value} MWh" for on, value, *_ in readings]
    )
    expect(chart.locator("path.chart-actual")).to_have_count(1)
    shot(page, "metric-imported")
    assert sorted(metric.checkins.values_list("for_date", "value", "author")) == [
        (on, Decimal(value), cast.member.pk) for on, value, *_ in readings
    ]
    assert CheckIn.objects.filter(metric=metric, is_current=False).count() == 0

    # 5. The overview shows the mission's progress against what is expected by now, and its status.
    metric.refresh_from_db()
    progress, expected = metric.progress, figures_of(metric, today).expected
    assert progress is not None and expected is not None
    org_nav(page).get_by_role("link", name="Overview").click()
    card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=MISSION))
    expect(card.locator(".status-badge").first).to_have_text(re.compile("At risk$"))
    expect(card.locator(".progress-text").first).to_have_text(
        f"{round(progress)}\N{NO-BREAK SPACE}% expected {round(expected)}\N{NO-BREAK SPACE}%"
    )
    expect(card.locator(".dash-goals")).to_contain_text(GOAL)
    expect(card.locator(".dash-lead")).to_contain_text(f"{METRIC}: 90 MWh")
    expect(region(page, "Latest check-ins")).to_contain_text(METRIC)
    shot(page, "overview")


def upload(page: Page, rows: list[list[str]]) -> None:
    """Choose a CSV file of these rows, as a spreadsheet would save it, and preview it."""
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    page.get_by_label("CSV file").set_input_files(
        {"name": "history.csv", "mimeType": "text/csv", "buffer": text.getvalue().encode()}
    )
    page.get_by_role("button", name="Preview the import").click()


def test_a_long_history_lists_the_latest_check_ins_and_the_rest_on_request(
    page: Page, cast: Cast, shot: Shot
) -> None:
    today = timezone.localdate()
    _, goal = members_mission(cast)
    metric = MetricFactory(goal=goal, name=METRIC, unit="MWh", cadence="weekly")
    weeks = [today - datetime.timedelta(weeks=n) for n in range(30)]
    for n, on in enumerate(reversed(weeks)):
        checkin_record(
            metric, value=Decimal(100 + n), for_date=on, author=cast.member, confidence="on_track"
        )
    log_in(page, cast.member)
    open_mission(page)
    region(page, "Goals").get_by_role("link", name=METRIC, exact=True).click()

    history = history_rows(page)
    expect(history).to_have_count(26)
    expect(history.first.locator("td:first-child")).to_have_text(day(today))
    expect(region(page, "History")).to_contain_text("Check-ins 1 to 26 of 30, newest first.")
    expect(visible_chart(page).locator(".chart-dots title")).to_have_count(30)
    shot(page, "metric-latest-check-ins")

    region(page, "History").get_by_role("link", name="Older check-ins").click()
    expect(history).to_have_count(4)
    expect(history.last.locator("td:first-child")).to_have_text(day(weeks[-1]))
    expect(history.last.locator("strong")).to_have_text("100 MWh")
    expect(page.get_by_role("link", name="Older check-ins")).to_have_count(0)
    expect(page.get_by_role("link", name="Newer check-ins")).to_have_count(1)
