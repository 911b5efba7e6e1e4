"""Sharing in a real browser: a link made, opened by someone with no account, revoked."""

import datetime
import re
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics.services import checkin_record
from missions.models import Mission, Report, ShareLink, Visibility
from reporting.reports import report_publish
from tests.browser.test_missions import log_in, org_nav, region
from tests.conftest import Cast
from tests.factories import GoalFactory, MetricFactory, MilestoneFactory, MissionFactory

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], None]
TITLE = "Zero waste by 2030"


@pytest.fixture(autouse=True)
def own_cache(settings):
    """The live server's share pages in a cache of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"share-browser-{uuid.uuid4()}",
        }
    }


def shareable_mission(cast: Cast) -> Mission:
    """A shareable mission half way to its target, with a check-in comment not to show."""
    today = timezone.localdate()
    mission = MissionFactory(
        organisation=cast.org,
        title=TITLE,
        slug="zero-waste",
        visibility=Visibility.SHAREABLE,
        owner=cast.member,
        purpose="Send nothing we make to landfill.",
        end_state="By 2030, nothing we make ends up in landfill.",
    )
    goal = GoalFactory(mission=mission, title="Recycle every offcut")
    metric = MetricFactory(
        goal=goal,
        name="Share of waste recycled",
        format="percentage",
        baseline_value=Decimal(10),
        baseline_on=today - datetime.timedelta(days=365),
        target_value=Decimal(50),
        target_on=today + datetime.timedelta(days=365),
    )
    for days_ago, value in ((60, 25), (30, 30)):
        checkin_record(
            metric,
            value=Decimal(value),
            for_date=today - datetime.timedelta(days=days_ago),
            author=cast.member,
            confidence="on_track",
            note="Private: the baler keeps jamming",
        )
    MilestoneFactory(mission=mission, title="Baler installed", due_on=today)
    return mission


def test_admin_shares_a_mission_and_revokes_the_link(
    new_page: Callable[[], Page], cast: Cast, shot: Shot, console_errors, live_server
) -> None:
    shareable_mission(cast)
    admin = new_page()
    log_in(admin, cast.admin)

    # 1. The mission's Share tab: a link for the suppliers.
    org_nav(admin).get_by_role("link", name="Missions", exact=True).click()
    admin.get_by_role("link", name=TITLE, exact=True).click()
    admin.get_by_role("navigation", name=TITLE).get_by_role("link", name="Share").click()
    expect(admin.get_by_role("heading", name="Share this mission’s progress")).to_be_visible()
    admin.get_by_label("Label").fill("Suppliers’ newsletter")
    admin.get_by_role("button", name="Create share link").click()

    expect(admin.get_by_role("status")).to_contain_text("Share link created.")
    links = region(admin, "Links")
    expect(links.get_by_role("heading", name="Suppliers’ newsletter")).to_be_visible()
    expect(links).to_contain_text("Active")
    address = links.get_by_label("Address of “Suppliers’ newsletter”")
    url = address.input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/s/[\w-]{{43}}/", url)
    links.locator("summary", has_text="Embed a progress badge").click()
    badge = links.get_by_role("img", name=f"Progress badge of {TITLE}")
    expect(badge).to_be_visible()
    assert badge.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(links.get_by_label("HTML to paste into your site")).to_have_value(
        re.compile(r'^<a href="http://[^"]+/s/[\w-]{43}/"><img src="[^"]+/badge.svg"')
    )
    shot(admin, "share-tab")

    # 2. Someone with the link and no account sees the progress, and nothing private.
    visitor = new_page()
    visitor.goto(url)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(visitor.locator(".share-big")).to_have_text("50\N{NO-BREAK SPACE}%")
    expect(visitor.get_by_role("heading", name="Recycle every offcut")).to_be_visible()
    expect(region(visitor, "Milestones")).to_contain_text("Baler installed")
    expect(visitor.locator("body")).not_to_contain_text("baler keeps jamming")
    expect(visitor.locator("body")).not_to_contain_text("Acme Member")
    expect(visitor.get_by_role("navigation")).to_have_count(0)  # no app navigation
    assert visitor.context.cookies() == []
    shot(visitor, "share-page")

    # The badge embeds in another site's page.
    embedding = new_page()
    embedding.set_content(f'<img alt="badge" src="{url}badge.svg">')
    expect(embedding.get_by_role("img")).to_be_visible()
    assert embedding.get_by_role("img").evaluate("img => img.naturalWidth > 100")

    link = ShareLink.objects.get()
    assert link.view_count == 1

    # 3. Revoked: the same address now says it is no longer active.
    links.get_by_role("button", name="Revoke “Suppliers’ newsletter”").click()
    expect(admin.get_by_role("status")).to_contain_text("is revoked")
    expect(links).to_contain_text("Revoked")
    expect(links.get_by_role("button", name=re.compile("Revoke"))).to_have_count(0)
    shot(admin, "revoked")

    console_errors.allow(r"/s/[\w-]+/: .*status of 404")
    visitor.reload()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("This link is no longer active")
    expect(visitor.locator("body")).not_to_contain_text(TITLE)
    shot(visitor, "link-gone")
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.view_count == 1


def test_admin_shares_a_published_report_from_the_sharing_page(
    new_page: Callable[[], Page], cast: Cast, shot: Shot, console_errors
) -> None:
    mission = shareable_mission(cast)
    today = timezone.localdate()
    report = Report.objects.create(
        organisation=cast.org,
        title="Autumn update",
        period_start=today - datetime.timedelta(days=90),
        period_end=today,
        narrative="The baler is in. **Recycling is up.**",
        author=cast.admin,
    )
    report.missions.set([mission])
    report_publish(report, cast.admin)
    admin = new_page()
    log_in(admin, cast.admin)

    admin.goto(f"/o/acme/missions/{mission.slug}/share/")
    admin.get_by_role("link", name=re.compile("share links, its progress page and reports")).click()
    expect(admin.get_by_role("heading", name="Sharing", level=1)).to_be_visible()
    admin.get_by_label("What to share").select_option(label="Report: Autumn update (version 1)")
    admin.get_by_label("Label").fill("Funders")
    admin.get_by_role("button", name="Create share link").click()

    links = region(admin, "Progress page and report links")
    expect(links).to_contain_text("Report: Autumn update (version 1)")
    url = links.get_by_label("Address of “Funders”").input_value()
    shot(admin, "sharing-page")

    visitor = new_page()
    visitor.goto(url)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Autumn update")
    expect(visitor.locator("body")).to_contain_text("Recycling is up.")
    expect(visitor.locator("body")).to_contain_text(TITLE)
    # Its chart is an image at the link's own address, described in words.
    chart = visitor.get_by_role("img", name=re.compile(r"^Share of waste recycled rose from"))
    chart.scroll_into_view_if_needed()
    expect(chart).to_have_js_property("complete", True)
    assert chart.evaluate("image => image.naturalWidth") > 0
    assert chart.evaluate("image => image.src").startswith(url + "charts/")
    assert visitor.context.cookies() == []
    shot(visitor, "report-share-page")

    links.get_by_role("button", name="Revoke “Funders”").click()
    expect(admin.get_by_role("status")).to_contain_text("is revoked")
    console_errors.allow(r"/s/[\w-]+/: .*status of 404")
    visitor.reload()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("This link is no longer active")
