"""A published report shared in a real browser: previewed as stakeholders see it and as
the organisation does, its address copied, a link made from its Share button and copied,
and opened by someone with no account. And a leader reading the demo's dashboard."""

import datetime
import re
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from missions.models import Report
from orgs.models import User
from reporting.reports import report_publish
from tests.browser.test_missions import log_in, org_nav
from tests.browser.test_sharing import TITLE, own_cache, shareable_mission  # noqa: F401
from tests.conftest import Cast

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], None]
PRIVATE_NOTE = "Private: the baler keeps jamming"


def published_report(cast: Cast) -> Report:
    mission = shareable_mission(cast)
    today = timezone.localdate()
    report = Report.objects.create(
        organisation=cast.org,
        title="Our year in waste",
        period_start=today - datetime.timedelta(days=90),
        period_end=today,
        narrative="## Highlights\n\nThe baler is in.",
        author=cast.admin,
    )
    report.missions.set([mission])
    return report_publish(report, cast.admin)


def clipboard(page: Page) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


def test_admin_previews_copies_and_shares_a_report(
    new_page: Callable[[], Page], cast: Cast, shot: Shot, live_server
) -> None:
    report = published_report(cast)
    admin = new_page()
    admin.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(admin, cast.admin)

    # 1. The report, found from the menu, reads as stakeholders will see it.
    org_nav(admin).get_by_role("link", name="Reports", exact=True).click()
    admin.get_by_role("link", name=report.title).first.click()
    document = admin.locator("article.report-doc")
    expect(document.get_by_role("heading", level=1)).to_have_text(report.title)
    views = admin.get_by_role("navigation", name="Who the report is shown as")
    expect(views.get_by_role("link", name="As stakeholders see it")).to_have_attribute(
        "aria-current", "page"
    )
    expect(document).not_to_contain_text(PRIVATE_NOTE)
    expect(document).not_to_contain_text("Acme Admin")
    expect(document.get_by_role("heading", name="How to read these figures")).to_be_visible()
    shot(admin, "report-as-stakeholders-see-it")

    # 2. The internal view adds the check-in comments and names.
    views.get_by_role("link", name="Internal view").click()
    expect(document).to_contain_text(PRIVATE_NOTE)
    expect(document).to_contain_text("by Acme Admin")
    shot(admin, "report-internal-view")

    # 3. Copy link: the report's own address, for colleagues, said in words.
    admin.get_by_role("button", name="Copy link").click()
    expect(admin.locator("#copy-status")).to_have_text(re.compile(r"^Link copied\."))
    assert clipboard(admin) == f"{live_server.url}/o/acme/reports/{report.uid}/"

    # 4. Share: the Sharing page, with this report already chosen.
    admin.get_by_role("link", name="Share this report").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Sharing")
    expect(admin.get_by_label("What to share")).to_have_value(str(report.uid))
    admin.get_by_label("Label").fill("Funders")
    admin.get_by_role("button", name="Create share link").click()
    expect(admin.get_by_role("status")).to_contain_text("Share link created.")
    address = admin.get_by_label("Address of “Funders”").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/s/[\w-]{{43}}/", address)
    admin.get_by_role("button", name="Copy link “Funders”").click()
    expect(admin.locator("[id^=copied-]")).to_have_text("Link copied.")
    assert clipboard(admin) == address
    shot(admin, "share-link-copied")

    # 5. Someone with the link sees what the preview showed, and nothing private.
    visitor = new_page()
    visitor.goto(address)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(report.title)
    expect(visitor.locator("body")).to_contain_text(TITLE)
    expect(visitor.locator("body")).not_to_contain_text(PRIVATE_NOTE)
    expect(visitor.locator("body")).not_to_contain_text("Acme Admin")
    shot(visitor, "shared-report")


def test_a_leader_names_the_off_track_metrics_and_owners_from_the_demo_dashboard(
    page: Page, shot: Shot
) -> None:
    call_command("load_demo", stdout=StringIO())
    owner = User.objects.get(email="owner@demo.waymark.example")
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(owner.email)
    page.get_by_label("Password").fill("waymark-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Bakery")

    attention = page.get_by_role("region", name="Off track and at risk")
    rows = attention.locator("li.attention-row")
    expect(rows.first).to_be_visible()
    # Each names its metric, its status in words and who owns it, without a click.
    for row in rows.all():
        assert re.search(r"(Off track|At risk)", row.inner_text())
        assert row.locator(".attention-owner").inner_text().strip()
    # Emissions going down read as good news, in words as well as colour.
    expect(page.locator(".dash-lead .trend-words").first).to_be_visible()
    expect(page.get_by_role("region", name="Since last week")).to_be_visible()
    shot(page, "demo-dashboard")

    # The demo's published report and its PDF are a click away.
    org_nav_demo = page.get_by_role("navigation", name="Riverside Bakery")
    org_nav_demo.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^Progress report, ")).first.click()
    expect(page.get_by_role("link", name=re.compile(r"^Download PDF"))).to_be_visible()
    # Its charts load as they scroll near: each brought near, and drawn, for the picture.
    for chart in page.locator("img.chart-image").all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True)
        assert chart.evaluate("image => image.naturalWidth") > 0
    shot(page, "demo-report")
