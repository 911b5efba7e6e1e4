"""What every request gets whatever its view (issue 17, findings 4 and 9, and the
information item on logs): signed-in responses are kept by no cache, request bodies are
bounded before they are read, and a refusal is one log line."""

import datetime
import http.client
import logging
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from metrics.services import checkin_record
from missions.models import Report, ShareLink, ShareTarget, Visibility
from reporting import pdf
from reporting.reports import report_publish
from tests.factories import GoalFactory, MetricFactory, MissionFactory

MB = 1024 * 1024


@pytest.fixture
def metric(cast):
    mission = MissionFactory(
        organisation=cast.org, slug="open", owner=cast.member, visibility=Visibility.SHAREABLE
    )
    metric = MetricFactory(goal=GoalFactory(mission=mission), name="Energy")
    checkin_record(
        metric,
        value=Decimal(5),
        for_date=datetime.date(2026, 1, 5),
        author=cast.member,
        confidence="on_track",
    )
    return metric


# ---- Cache-Control on what a signed-in person is sent ----


def test_signed_in_pages_csv_and_pdf_are_private_and_not_stored(cast, login, metric, monkeypatch):
    monkeypatch.setattr(pdf, "report_pdf", lambda doc, narrative, paper: b"%PDF-1.7 stand-in")
    mission = metric.mission
    report = Report.objects.create(
        organisation=cast.org,
        title="Q1",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        author=cast.admin,
    )
    report.missions.set([mission])
    client = login(cast.member)
    for path in (
        reverse("reporting:dashboard", args=["acme"]),
        reverse("metrics:detail", args=["acme", mission.slug, metric.uid]),
        reverse("metrics:export", args=["acme", mission.slug, metric.uid]),
        reverse("metrics:mission_export", args=["acme", mission.slug]),
        reverse("reporting:report_pdf", args=["acme", report.uid]),
        reverse("reporting:reports", args=["acme"]),
        reverse("account_profile"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "private, no-store", path


def test_refusals_to_a_signed_in_person_are_not_stored_either(cast, login):
    response = login(cast.viewer).get(reverse("reporting:report_create", args=["acme"]))
    assert response.status_code == 403
    assert response["Cache-Control"] == "private, no-store"


def test_public_badges_and_pages_keep_their_own_caching(cast, client, login, metric):
    link = ShareLink.objects.create(
        organisation=cast.org, target=ShareTarget.MISSION, mission=metric.mission
    )
    badge = reverse("share_badge", args=[link.token])
    for visitor in (client, login(cast.member)):
        assert visitor.get(badge)["Cache-Control"].startswith("public, max-age=")
    assert "no-cache" in client.get(reverse("share_page", args=[link.token]))["Cache-Control"]


def test_a_published_reports_chart_keeps_its_day_in_the_readers_browser(cast, login, metric):
    metric.kind = "outcome"
    metric.save()
    report = Report.objects.create(
        organisation=cast.org,
        title="Q1",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        author=cast.admin,
    )
    report.missions.set([metric.mission])
    report_publish(report, cast.admin)
    chart = reverse("reporting:report_chart", args=["acme", report.uid, "chart-1"])
    response = login(cast.viewer).get(chart)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=86400"


# ---- Request bodies are bounded before they are read ----


def test_an_oversized_post_is_refused_with_413_before_it_is_read(client):
    body = b"x" * (MB + 1)
    response = client.generic(
        "POST", reverse("account_login"), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "larger than Waymark accepts (1,048,576 bytes at most)" in response.text


def test_the_csv_import_takes_a_larger_body_but_refuses_a_file_over_1_mb_with_its_message(
    cast, login, metric
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    mission = metric.mission
    path = reverse("metrics:import", args=["acme", mission.slug, metric.uid])
    client = login(cast.member)
    big = SimpleUploadedFile("big.csv", b"date,value\n" + b"2026-01-01,1\n" * 100_000)
    assert 1 * MB < big.size < 2 * MB
    response = client.post(path, {"file": big})
    assert response.status_code == 400
    assert "The file is larger than 1 MB" in response.text

    huge = SimpleUploadedFile("huge.csv", b"date,value\n" + b"2026-01-01,1\n" * 200_000)
    assert client.post(path, {"file": huge}).status_code == 413
    # Everywhere else, the ordinary limit.
    check_in = reverse("metrics:check_in", args=["acme", mission.slug, metric.uid])
    assert client.post(check_in, {"note": "x" * (MB + 10)}).status_code == 413


def test_a_300_mb_upload_to_the_login_page_is_refused_over_http_without_waiting_for_it(
    live_server, transactional_db
):
    """As the penetration test sent it: the server answers as soon as it has the headers."""
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.putrequest("POST", reverse("account_login"))
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(300 * MB))
    connection.endheaders(b"--x\r\n" + b"x" * 65536)  # and not one byte more
    try:
        response = connection.getresponse()  # before: a timeout, the server reading on
    except TimeoutError:
        pytest.fail("the server waited for the 300 MB body instead of refusing it")
    body = response.read()
    assert response.status == 413, body[:3000]
    assert b"larger than Waymark accepts" in body
    connection.close()


# ---- A refusal is one log line ----


def test_a_403_is_logged_as_one_line_without_a_traceback(cast, login, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login(cast.viewer).get(reverse("reporting:report_create", args=["acme"]))
    assert response.status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    line = logging.Formatter().format(record)
    # The route, not the path: paths may carry tokens (core.request_log).
    assert line == "Forbidden (Permission denied): o/<slug:org_slug>/reports/new/"


def test_a_500_keeps_its_traceback():
    from core.refusal_logs import OneLineRefusals

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("django.request", logging.ERROR, "", 0, "x", (), sys.exc_info())
    record.status_code = 500
    assert OneLineRefusals().filter(record)
    assert record.exc_info is not None
