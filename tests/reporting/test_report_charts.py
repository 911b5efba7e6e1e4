"""A published report's charts as images of their own: the page stays small, each chart is
drawn once from the snapshot, and an image is for whoever may read the report."""

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import pagecache
from metrics.services import metric_refresh_latest
from missions.models import ShareLink, ShareTarget, Visibility
from reporting import pdf
from reporting.reports import report_publish, report_supersede
from tests.reporting.test_reports import (
    TODAY,
    change_everything_live,
    document_html,
    draft,
    grown_mission,
    pdf_text,
    published,
    url,
    zero_waste_mission,
)

SVG = "{http://www.w3.org/2000/svg}"
# What the zero_waste mission's one outcome metric shows, in words.
LANDFILL = (
    "Landfill waste fell from 110 tonnes to 101 tonnes between Jan 2026 and Mar 2026; "
    "the target is 60 tonnes by Jan 2028."
)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def zero_waste(cast):
    return zero_waste_mission(cast)


def chart_url(report, key="chart-1"):
    return url("report_chart", report.uid, key)


def share_chart_url(link, key="chart-1"):
    return reverse("share_chart", args=[link.token, key])


def report_link(report, **fields):
    return ShareLink.objects.create(
        organisation=report.organisation, target=ShareTarget.REPORT, report=report, **fields
    )


def shareable(mission):
    mission.visibility = Visibility.SHAREABLE
    mission.save()
    return mission


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            image = dict(attrs)
            if image.get("class", "").startswith("chart-image"):
                self.images.append(image)


def images_in(html: str) -> list[dict[str, str | None]]:
    """The chart images in the page."""
    parser = Images()
    parser.feed(html)
    return parser.images


def assert_is_the_chart_image(response, *, private_for: int):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == f"private, max-age={private_for}"
    assert response["X-Content-Type-Options"] == "nosniff"
    svg = ET.fromstring(response.content)  # noqa: S314 -- our own output
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.findtext(f"{SVG}title") == "Landfill waste"
    assert svg.findtext(f"{SVG}desc").startswith(LANDFILL)
    drawings = svg.findall(f"{SVG}svg")
    assert [d.get("class") for d in drawings] == ["chart chart-s", "chart chart-m", "chart chart-l"]
    assert [d.get("viewBox") for d in drawings] == ["0 0 360 260", "0 0 600 280", "0 0 880 320"]
    # No script can run in it, and its one stylesheet is allowed by its hash alone.
    style = svg.findtext(f"{SVG}style")
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert response["Content-Security-Policy"] == (
        f"default-src 'none'; style-src 'sha256-{digest}'; frame-ancestors 'none'"
    )
    assert "<script" not in response.text and not re.search(r"\son\w+=", response.text)


# ---- The page -----------------------------------------------------------------------------


def test_a_published_report_shows_its_charts_as_lazy_images_described_in_words(
    cast, login, zero_waste
):
    report = published(cast, zero_waste)
    doc = document_html(login(cast.viewer).get(url("report_detail", report.uid)))

    assert '<svg class="chart' not in doc
    (image,) = images_in(doc)
    assert image["src"] == chart_url(report)
    assert image["loading"] == "lazy"
    assert (image["width"], image["height"]) == ("360", "260")  # no shift when it arrives
    assert image["alt"].startswith(LANDFILL)
    assert image["class"] == "chart-image"


def test_a_refusal_shown_at_another_address_still_finds_the_charts(cast, login, zero_waste):
    report = published(cast, zero_waste)
    refused = login(cast.admin).get(url("report_edit", report.uid))  # published: not editable
    assert refused.status_code == 409
    (image,) = images_in(document_html(refused))
    assert image["src"] == chart_url(report)


def test_a_chart_with_nothing_to_draw_keeps_the_short_box_and_says_so(cast, login, zero_waste):
    bare = shareable(zero_waste)
    bare.metrics.filter(name="Landfill waste").update(
        baseline_value=None, baseline_on=None, target_value=None, target_on=None
    )
    landfill = bare.metrics.get(name="Landfill waste")
    landfill.checkins.all().delete()
    metric_refresh_latest(landfill)
    report = published(cast, bare)
    (image,) = images_in(document_html(login(cast.viewer).get(url("report_detail", report.uid))))
    assert image["class"] == "chart-image chart-image-empty"
    assert image["height"] == "140"
    assert image["alt"] == "No check-ins have been recorded for landfill waste yet."


def test_a_draft_still_draws_its_charts_in_the_page(cast, login, zero_waste):
    report = draft(cast, zero_waste)
    doc = document_html(login(cast.admin).get(url("report_detail", report.uid)))
    assert '<svg class="chart chart-m"' in doc and not images_in(doc)
    assert login(cast.admin).get(chart_url(report)).status_code == 404


def test_the_pdf_draws_its_charts_inline(cast, login, zero_waste, monkeypatch):
    report = published(cast, zero_waste)
    drawn = []
    real = pdf.report_pdf_html
    monkeypatch.setattr(
        pdf, "report_pdf_html", lambda *args: drawn.append(real(*args)) or drawn[-1]
    )

    response = login(cast.viewer).get(url("report_pdf", report.uid))
    assert "Landfill waste" in pdf_text(response.content)

    (html,) = drawn
    assert '<svg class="chart" viewBox="0 0 360 250"' in html and "<img" not in html
    # WeasyPrint draws an inline SVG with its own style alone: each drawing carries it.
    chart = html.split('<svg class="chart"', 1)[1]
    assert chart.split(">", 1)[1].startswith("<style>.chart{")
    bar = html.split('<svg class="progress-bar"', 1)[1].split("</svg>", 1)[0]
    assert 'class="progress-track" y="3" width="100" height="8" fill="#dde2ea"' in bar


# ---- The image, inside the organisation ---------------------------------------------------


def test_everyone_who_reads_the_report_gets_its_chart_as_an_svg_image(cast, zero_waste):
    report = published(cast, zero_waste)
    for person in (cast.viewer, cast.member, cast.admin, cast.owner):
        client = Client()
        client.force_login(person)
        assert_is_the_chart_image(client.get(chart_url(report)), private_for=24 * 60 * 60)


def test_outsiders_get_404_and_strangers_log_in(cast, zero_waste):
    report = published(cast, zero_waste)
    outsider = Client()
    outsider.force_login(cast.outsider)
    assert outsider.get(chart_url(report)).status_code == 404
    anonymous = Client().get(chart_url(report))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_a_chart_that_is_not_there_is_404(cast, login, zero_waste):
    report = published(cast, zero_waste)
    client = login(cast.admin)
    for key in ("chart-2", "chart-0", "chart-1x", "landfill"):
        assert client.get(chart_url(report, key)).status_code == 404
    assert client.post(chart_url(report)).status_code == 405


def test_a_chart_is_drawn_once_and_served_from_the_cache(cast, login, zero_waste, monkeypatch):
    report = published(cast, zero_waste)
    client = login(cast.viewer)
    first = client.get(chart_url(report)).content

    def draw_again(doc, key):
        raise AssertionError("a published chart is drawn once")

    monkeypatch.setattr("reporting.reports.chart_image", draw_again)
    assert client.get(chart_url(report)).content == first
    # Its share links are served the same drawing, from the same cache.
    assert Client().get(share_chart_url(report_link(report))).content == first


def test_a_new_version_has_charts_of_its_own_and_the_first_keeps_its_own(cast, login, zero_waste):
    first = published(cast, zero_waste)
    client = login(cast.admin)
    before = client.get(chart_url(first)).content

    change_everything_live(cast, zero_waste)
    second = report_publish(report_supersede(first, cast.admin), cast.admin)

    assert client.get(chart_url(first)).content == before
    newer = client.get(chart_url(second)).content
    assert newer != before
    assert b"70 tonnes" in newer and b"70 tonnes" not in before


def test_the_chart_image_makes_a_fixed_number_of_queries_and_reads_only_the_report(
    cast, login, zero_waste, uncached
):
    small = published(cast, zero_waste)
    client = login(cast.member)
    client.get(chart_url(small))
    with CaptureQueriesContext(connection) as few:
        assert client.get(chart_url(small)).status_code == 200

    big = published(cast, zero_waste, *[grown_mission(cast, n) for n in range(4)], title="Big")
    with CaptureQueriesContext(connection) as many:
        assert client.get(chart_url(big, "chart-5")).status_code == 200

    # The session, the person, their membership, the report and its snapshot.
    assert len(many) == len(few) == 5
    touched = " ".join(q["sql"] for q in many.captured_queries)
    for table in ("metrics_metric", "metrics_checkin", "missions_goal", "missions_milestone"):
        assert table not in touched


def test_a_cached_chart_costs_the_access_check_alone(cast, login, zero_waste):
    report = published(cast, zero_waste)
    client = login(cast.member)
    client.get(chart_url(report))
    with CaptureQueriesContext(connection) as cached:
        assert client.get(chart_url(report)).status_code == 200
    assert len(cached) == 3  # the person, their membership, the report (the session is cached)
    assert "snapshot" not in " ".join(q["sql"] for q in cached.captured_queries)


# ---- The image, through a share link ------------------------------------------------------


def test_a_report_link_shows_its_charts_as_images_by_its_own_address(cast, zero_waste):
    report = published(cast, shareable(zero_waste))
    one, other = report_link(report), report_link(report)
    visitor = Client()

    for link in (one, other):
        page = visitor.get(reverse("share_page", args=[link.token]))
        (image,) = images_in(page.text)
        # Relative: the page cached for one link is right for the other, and names no token.
        assert image["src"] == "charts/chart-1.svg"
        assert image["alt"].startswith(LANDFILL)
        response = visitor.get(share_chart_url(link))
        assert_is_the_chart_image(response, private_for=300)
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["X-Robots-Tag"] == "noindex"
        assert not response.cookies
        assert "X-Frame-Options" in response  # for its own page's <img> only

    one.refresh_from_db()
    assert one.view_count == 1  # the page was a view; its images are not


def test_a_revoked_or_expired_report_link_shows_no_chart(cast, zero_waste):
    report = published(cast, shareable(zero_waste))
    revoked = report_link(report, revoked_at=timezone.now())
    expired = report_link(report, expires_at=timezone.now())
    for link in (revoked, expired):
        response = Client().get(share_chart_url(link))
        assert response.status_code == 404
        assert "This link is no longer active" in response.text


def test_only_a_report_link_has_charts(cast, zero_waste):
    mission = shareable(zero_waste)
    report = published(cast, mission)
    organisation = ShareLink.objects.create(organisation=cast.org, target=ShareTarget.ORGANISATION)
    to_mission = ShareLink.objects.create(
        organisation=cast.org, target=ShareTarget.MISSION, mission=mission
    )
    for link in (organisation, to_mission):
        assert Client().get(share_chart_url(link)).status_code == 404
    assert Client().get(share_chart_url(report_link(report), "chart-9")).status_code == 404
    assert Client().get("/s/not-a-token/charts/chart-1.svg").status_code == 404
    assert report.pk  # the report itself is fine: it is the links that show nothing


def test_a_shared_chart_makes_a_fixed_number_of_queries(cast, zero_waste, uncached):
    small = published(cast, shareable(zero_waste))
    link = report_link(small)
    visitor = Client()
    visitor.get(share_chart_url(link))
    with CaptureQueriesContext(connection) as few:
        assert visitor.get(share_chart_url(link)).status_code == 200
    more = [shareable(grown_mission(cast, n)) for n in range(4)]
    big = report_link(published(cast, zero_waste, *more, title="Big"))
    with CaptureQueriesContext(connection) as many:
        assert visitor.get(share_chart_url(big, "chart-5")).status_code == 200
    assert len(many) == len(few) == 2  # the link with its report, then the snapshot
    assert not [q for q in many.captured_queries if q["sql"].startswith("UPDATE")]


def test_a_shared_report_is_rendered_once_whatever_else_changes(cast, zero_waste, monkeypatch):
    link = report_link(published(cast, shareable(zero_waste)))
    first = Client().get(reverse("share_page", args=[link.token])).text

    def render_again(report):
        raise AssertionError("a published report is rendered once")

    monkeypatch.setattr("reporting.reports.report_page", render_again)
    pagecache.pages_changed(cast.org.pk)  # a check-in, an edit: the live pages change
    assert Client().get(reverse("share_page", args=[link.token])).text == first
