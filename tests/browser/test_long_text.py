"""Long words in a real browser: text without a space to break at wraps on every page
that draws it, at desktop and phone widths, instead of widening the page."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from metrics.services import checkin_record
from missions.models import Report, ShareLink, ShareTarget, Visibility
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_missions import log_in
from tests.conftest import Cast
from tests.factories import GoalFactory, MetricFactory, MissionFactory

pytestmark = pytest.mark.browser

# As long as a comment may be (core.text limits check-in comments to 2,000 characters).
UNBROKEN = "W" * 2_000


# As long as a mission title may be: emails show titles, not comments.
TITLE = "T" * 160


def assert_no_sideways_scroll(page: Page, url: str, shown: str = UNBROKEN) -> None:
    page.goto(url)
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{url} is {width} px wide at {size['width']} px"
        assert page.get_by_text(shown[:100], exact=False).first.is_visible()


def test_a_comment_with_no_spaces_wraps_on_every_page_that_shows_it(
    new_page: Callable[[], Page], cast: Cast, console_errors
) -> None:
    # The email, opened on its own as the preview's frame opens it, has no icon.
    console_errors.allow(r"/digest/email\.html: Failed to load resource: .* 404")
    mission = MissionFactory(
        organisation=cast.org,
        slug="air",
        title=TITLE,
        purpose=UNBROKEN[:1_000],
        visibility=Visibility.SHAREABLE,
        owner=cast.owner,
    )
    metric = MetricFactory(goal=GoalFactory(mission=mission), name="Gas burnt", owner=cast.owner)
    today = timezone.localdate()
    checkin_record(
        metric,
        value=Decimal("12"),
        for_date=today - datetime.timedelta(days=1),
        author=cast.owner,
        confidence="on_track",
        note=UNBROKEN,
    )
    share = ShareLink.objects.create(
        organisation=cast.org, target=ShareTarget.MISSION, mission=mission
    )
    report = Report.objects.create(
        organisation=cast.org,
        author=cast.owner,
        title="Progress report",
        period_start=today.replace(day=1) - datetime.timedelta(days=40),
        period_end=today,
        narrative=UNBROKEN,
    )
    report.missions.add(mission)

    page = new_page()
    log_in(page, cast.owner)
    for url in (
        reverse("metrics:detail", args=["acme", "air", metric.uid]),
        reverse("reporting:mission", args=["acme", "air"]),
        reverse("reporting:report_detail", args=["acme", report.uid]),
    ):
        assert_no_sideways_scroll(page, url)
    digest = reverse("reporting:member_digest_html", args=["acme", cast.membership(cast.owner).uid])
    assert_no_sideways_scroll(page, digest, shown=TITLE)
    assert_no_sideways_scroll(new_page(), reverse("share_page", args=[share.token]))
