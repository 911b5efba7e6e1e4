"""What the form fuzz posts, drawn in a real browser: a word of 2,000 characters typed
into every text box of the forms that write a mission, a goal, a check-in and a report
wraps on the pages that draw it, at desktop and phone widths, instead of widening them.

The forms are read and filled as the form fuzz reads and fills them
(tests/security/test_form_fuzz.py); a box that refuses the word (it has a shorter limit)
gets what the fuzz puts in it instead, and the form is posted again.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page

from metrics.services import checkin_record
from missions.models import Report, ShareLink, ShareTarget, Visibility
from tests.browser.test_long_text import assert_no_sideways_scroll
from tests.browser.test_missions import log_in
from tests.conftest import Cast
from tests.factories import GoalFactory, MetricFactory, MissionFactory
from tests.security.forms import post_forms
from tests.security.test_form_fuzz import baseline, invalid_fields

pytestmark = pytest.mark.browser

WORD = "W" * 2_000


def post_the_word(client: Client, page: str) -> None:
    """The page's own form, posted with the word in every text box it keeps."""
    (form,) = [f for f in post_forms(page, client.get(page).content.decode()) if f.action == page]
    text = [f.name for f in form.fields.values() if f.is_text and f.kind not in ("email", "url")]
    data = baseline(form, 1) | dict.fromkeys(text, WORD)
    # A box that refuses the word gets what the fuzz puts there, then (a number typed as
    # text, with the decimal keyboard) a number.
    for instead in (baseline(form, 1), dict.fromkeys(form.fields, "1")):
        response = client.post(page, data)
        data |= {name: instead[name] for name in invalid_fields(response)}
    response = client.post(page, data)
    assert response.status_code == 302, (page, invalid_fields(response))
    assert WORD in str(data.values())


def test_a_word_posted_to_every_text_box_wraps_where_it_is_drawn(
    new_page: Callable[[], Page], cast: Cast
) -> None:
    today = datetime.date.today()
    mission = MissionFactory(
        organisation=cast.org,
        slug="air",
        visibility=Visibility.SHAREABLE,
        owner=cast.owner,
        starts_on=today - datetime.timedelta(days=60),
        ends_on=today + datetime.timedelta(days=700),
    )
    goal = GoalFactory(mission=mission, due_on=today + datetime.timedelta(days=300))
    metric = MetricFactory(goal=goal, owner=cast.owner)
    checkin_record(
        metric,
        value=Decimal("12"),
        for_date=today - datetime.timedelta(days=1),
        author=cast.owner,
        confidence="on_track",
    )
    report = Report.objects.create(
        organisation=cast.org,
        author=cast.owner,
        title="Progress",
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
    )
    report.missions.add(mission)
    share = ShareLink.objects.create(
        organisation=cast.org, target=ShareTarget.MISSION, mission=mission
    )

    owner = Client()
    owner.force_login(cast.owner)
    for page in (
        reverse("missions:edit", args=["acme", "air"]),
        reverse("reporting:goal_edit", args=["acme", "air", goal.uid]),
        reverse("metrics:check_in", args=["acme", "air", metric.uid]),
        reverse("reporting:report_edit", args=["acme", report.uid]),
    ):
        post_the_word(owner, page)

    browser = new_page()
    log_in(browser, cast.owner)
    for url in (
        reverse("metrics:detail", args=["acme", "air", metric.uid]),
        reverse("reporting:mission", args=["acme", "air"]),
        reverse("reporting:report_detail", args=["acme", report.uid]),
    ):
        assert_no_sideways_scroll(browser, url, shown=WORD)
    assert_no_sideways_scroll(new_page(), reverse("share_page", args=[share.token]), shown=WORD)
