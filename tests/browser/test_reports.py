"""Reports in a real browser: drafted, previewed, refused, published, downloaded, versioned."""

import datetime
import io
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics.services import checkin_record
from missions.models import Mission, Report
from tests.browser.test_missions import exactly, log_in, org_nav
from tests.conftest import Cast
from tests.factories import GoalFactory, MetricFactory, MilestoneFactory, MissionFactory
from tests.reporting.test_reports import pdf_text

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], None]
TITLE = "Zero waste: how last month went"
NARRATIVE = """# Highlights

Composting in the canteen **halved** what we send to landfill.

<script>alert("not today")</script>

# What we ask of you

Tell us about [your own reuse schemes](https://reuse.example.org).
"""


def zero_waste(cast: Cast) -> Mission:
    """A mission with a measured goal, readings over the last months and a milestone."""
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    mission = MissionFactory(
        organisation=cast.org,
        title="Zero waste",
        slug="zero-waste",
        owner=cast.admin,
        end_state="By 2028, nothing we make ends up in landfill.",
        # Shareable, so a new report ticks it: one for the organisation only is left to
        # choose, as it would keep the report from being shared.
        visibility="shareable",
    )
    metric = MetricFactory(
        goal=GoalFactory(mission=mission, title="Halve landfill waste"),
        name="Landfill waste",
        unit="tonnes",
        baseline_value=Decimal("120"),
        baseline_on=today - datetime.timedelta(days=200),
        target_value=Decimal("60"),
        target_on=today + datetime.timedelta(days=500),
        direction="decrease",
    )
    for days_ago, value, note in ((150, "112", ""), (90, "104", ""), (0, "99", "")):
        checkin_record(
            metric,
            value=Decimal(value),
            for_date=today - datetime.timedelta(days=days_ago),
            author=cast.admin,
            confidence="on_track",
            note=note,
        )
    checkin_record(
        metric,
        value=Decimal("101"),
        for_date=last_month_end,
        author=cast.member,
        confidence="at_risk",
        note="Canteen composting started; the crates supplier is late.",
    )
    MilestoneFactory(mission=mission, title="Compost bins in", due_on=last_month_end)
    return mission


def test_admin_drafts_previews_publishes_downloads_and_versions_a_report(
    page: Page, new_page: Callable[[], Page], cast: Cast, shot: Shot, console_errors
) -> None:
    zero_waste(cast)

    # 1. From the Reports page to a new draft, with last month and the active mission chosen.
    log_in(page, cast.admin)
    org_nav(page).get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    shot(page, "reports-empty")
    page.get_by_role("link", name="New report").click()
    expect(page.get_by_role("heading", name="New report", level=1)).to_be_visible()
    expect(page.get_by_label("A month")).to_be_checked()
    expect(page.get_by_label("Zero waste")).to_be_checked()
    expect(page.get_by_label(exactly("Quarter"))).to_be_hidden()  # only the chosen kind's fields
    page.get_by_label(exactly("Title")).fill(TITLE)
    page.get_by_label(exactly("Narrative")).fill(NARRATIVE)
    shot(page, "new-report")

    # 2. A period that ends before it starts is refused beside the field; nothing is saved.
    page.get_by_label("Other dates").check()
    expect(page.get_by_label(exactly("Month"))).to_be_hidden()
    page.get_by_label(exactly("From")).fill("2026-03-31")
    page.get_by_label(exactly("To")).fill("2026-03-01")
    console_errors.allow(r"/reports/new/: .*status of 400")
    page.get_by_role("button", name="Save draft and preview").click()
    to = page.get_by_label(exactly("To"))
    expect(to).to_have_accessible_description(
        re.compile("The period must end on or after the day it starts.")
    )
    expect(page.get_by_label(exactly("Narrative"))).to_have_value(NARRATIVE)
    shot(page, "period-error")
    assert not Report.objects.exists()

    # 3. Last month after all: the preview is the report as stakeholders will see it.
    page.get_by_label("A month").check()
    page.get_by_role("button", name="Save draft and preview").click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    document = page.locator("article.report-doc")
    expect(document).to_contain_text("Draft, not yet published")
    expect(document.get_by_role("heading", name="Highlights", level=2)).to_be_visible()
    expect(document).to_contain_text('<script>alert("not today")</script>')  # shown, not run
    expect(document.get_by_role("heading", name="Zero waste", level=2)).to_be_visible()
    expect(document).to_contain_text("101 tonnes")
    # As stakeholders will see it: no check-in comments; the internal view has them.
    expect(document).not_to_contain_text("Canteen composting started")
    page.get_by_role("link", name="Internal view").click()
    expect(document).to_contain_text("Canteen composting started; the crates supplier is late.")
    expect(document).to_contain_text("Compost bins in")
    expect(document.locator("svg.chart").first).to_be_attached()
    link = document.get_by_role("link", name="your own reuse schemes")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    shot(page, "draft-preview")

    # 4. Publishing freezes it.
    page.get_by_role("button", name="Publish report").click()
    expect(page.get_by_role("status")).to_contain_text(f"“{TITLE}” is published.")
    expect(document).to_contain_text(re.compile(r"Published \d+ \w+ \d{4}\s+·"))
    expect(document).not_to_contain_text("Acme Admin")  # the stakeholders' view names nobody
    expect(page.get_by_role("button", name="Publish report")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit draft")).to_have_count(0)
    # Its charts are images now, loaded as they scroll near and described in words.
    expect(document.locator("svg.chart")).to_have_count(0)
    chart = document.get_by_role("img", name=re.compile(r"^Landfill waste fell from 112 tonnes"))
    chart.scroll_into_view_if_needed()
    expect(chart).to_have_js_property("complete", True)
    assert chart.evaluate("image => image.naturalWidth") > 0  # drawn, not a broken image
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    shot(page, "published")
    report = Report.objects.get()
    assert report.is_published and report.snapshot["missions"][0]["title"] == "Zero waste"

    # 5. The PDF is a PDF with the report's title in it.
    # WeasyPrint draws the PDF while the browser waits: a few seconds alone, and more than
    # the usual 10 when the rest of the suite runs beside it (make test, in parallel).
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == "acme-zero-waste-how-last-month-went-v1.pdf"
    content = open(download.value.path(), "rb").read()  # noqa: SIM115
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    # The stakeholders' PDF, the one leaders email: no check-in comments.
    assert TITLE in text and "Canteen composting started" not in text
    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(content)).metadata.title == TITLE

    # 6. A viewer reads it among the published reports, and cannot change it.
    viewer = new_page()
    log_in(viewer, cast.viewer)
    org_nav(viewer).get_by_role("link", name="Reports", exact=True).click()
    expect(viewer.get_by_role("heading", name="Drafts")).to_have_count(0)
    viewer.get_by_role("link", name=TITLE).click()
    expect(viewer.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(viewer.get_by_role("button", name="Make a new version")).to_have_count(0)
    shot(viewer, "viewer-reads")

    # 7. A new version is a draft copy; the first stays listed, superseded once it is out.
    page.get_by_role("button", name="Make a new version").click()
    expect(page.get_by_role("heading", name="Edit draft, version 2", level=1)).to_be_visible()
    expect(page.get_by_label(exactly("Title"))).to_have_value(TITLE)
    page.get_by_label(exactly("Title")).fill(TITLE + " (corrected)")
    page.get_by_role("button", name="Save draft and preview").click()
    expect(page.locator("article.report-doc")).to_contain_text("Version 2")
    page.get_by_role("button", name="Publish report").click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    org_nav(page).get_by_role("link", name="Reports", exact=True).click()
    history = page.get_by_role("table")
    expect(history.get_by_role("row")).to_have_count(3)  # the header and two versions
    expect(history).to_contain_text("Superseded by version 2")
    shot(page, "history")
