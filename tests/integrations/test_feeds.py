"""Metrics that update themselves, from a real local HTTP server serving CSV and JSON."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from integrations import feeds, tasks
from integrations.feeds import FeedError, read_csv, read_json
from integrations.models import MetricFeed
from metrics.models import CheckIn
from tests.factories import MetricFactory, MissionFactory

SHEET = b'Month,Revenue,Customers\nJan,1200,10\nFeb,"1,450.50",12\nMar,1700,\n'
STATS = b'{"data": {"items": [{"value": 37.5}, {"value": "41"}]}, "ok": true}'


@pytest.fixture
def metric(cast):
    mission = MissionFactory(organisation=cast.org, owner=cast.owner)
    return MetricFactory(goal__mission=mission, owner=cast.member, cadence="weekly")


def feed_for(metric, url: str, format: str, selector: str) -> MetricFeed:
    return MetricFeed.objects.create(metric=metric, url=url, format=format, selector=selector)


@pytest.mark.parametrize(
    ("selector", "value"),
    [("B2", "1200"), ("b3", "1450.50"), ("B", "1700"), ("Revenue", "1700"), ("customers", "12")],
)
def test_a_csv_value_is_read_from_a_cell_or_a_column(selector, value):
    assert read_csv(SHEET.decode(), selector) == Decimal(value)


@pytest.mark.parametrize(
    ("selector", "problem"),
    [("Z9", "no cell Z9"), ("A2", "Expected a number"), ("Profit", "No column is headed")],
)
def test_a_csv_value_that_is_not_there_says_why(selector, problem):
    with pytest.raises(FeedError, match=problem):
        read_csv(SHEET.decode(), selector)


def test_a_json_value_is_read_from_a_path():
    assert read_json(STATS.decode(), "data.items[0].value") == Decimal("37.5")
    assert read_json(STATS.decode(), "data.items[1].value") == Decimal("41")
    for path, problem in (
        ("data.items[2].value", "nothing at data.items[2]"),
        ("ok", "Expected a number"),
        ("data.missing", "nothing at data.missing"),
    ):
        with pytest.raises(FeedError, match=re.escape(problem)):
            read_json(STATS.decode(), path)
    with pytest.raises(FeedError, match="not JSON"):
        read_json("<html>", "a")


def test_a_csv_feed_records_its_value_as_a_checkin_by_waymark(
    cast, metric, receiver, local_addresses
):
    receiver.pages["/sheet.csv"] = ("text/csv", SHEET)
    feed = feed_for(metric, receiver.url + "/sheet.csv", "csv", "Revenue")

    assert tasks.run_feed(feed.pk) is True

    checkin = CheckIn.objects.get(metric=metric)
    assert checkin.value == Decimal("1700") and checkin.author is None
    assert receiver.url + "/sheet.csv" in checkin.note
    metric.refresh_from_db()
    assert metric.latest_value == Decimal("1700")
    feed.refresh_from_db()
    assert feed.last_value == Decimal("1700") and feed.last_error == ""
    # Next on the metric's cadence: running it again now records nothing more.
    assert feed.next_run_at > timezone.now() + timedelta(days=6)
    assert tasks.run_feed(feed.pk) is None
    assert CheckIn.objects.filter(metric=metric).count() == 1


def test_a_json_feed_records_its_value(cast, metric, receiver, local_addresses):
    receiver.pages["/stats"] = ("application/json", STATS)
    feed = feed_for(metric, receiver.url + "/stats", "json", "data.items[0].value")
    assert feeds.feed_run(feed.pk) is True
    assert CheckIn.objects.get(metric=metric).value == Decimal("37.5")


def test_the_sweep_runs_feeds_on_their_cadence(cast, metric, receiver, local_addresses):
    receiver.pages["/stats"] = ("application/json", STATS)
    feed = feed_for(metric, receiver.url + "/stats", "json", "data.items[0].value")
    tasks.sweep_integrations()
    assert CheckIn.objects.filter(metric=metric).count() == 1
    receiver.pages["/stats"] = ("application/json", b'{"data": {"items": [{"value": 40}]}}')
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        tasks.sweep_integrations()
    assert CheckIn.objects.filter(metric=metric, is_current=True).count() == 2
    feed.refresh_from_db()
    assert feed.last_value == Decimal("40")


def test_a_failing_feed_records_nothing_shows_the_failure_and_tells_the_owner_once(
    cast, metric, receiver, local_addresses, login
):
    feed = feed_for(metric, receiver.url + "/gone.csv", "csv", "B2")

    assert feeds.feed_run(feed.pk) is False

    assert not CheckIn.objects.filter(metric=metric).exists()
    feed.refresh_from_db()
    assert feed.last_error == "The address answered 404."
    [email] = mail.outbox
    assert email.to == [cast.member.email]
    assert "The address answered 404." in email.body
    mission = metric.mission
    page = login(cast.member).get(
        reverse("metrics:detail", args=[cast.org.slug, mission.slug, metric.uid])
    )
    assert "could not update itself" in page.content.decode()
    assert "The address answered 404." in page.content.decode()
    # Tried again later, failing again: no second email.
    with time_machine.travel(timezone.now() + timedelta(hours=7), tick=False):
        assert feeds.feed_run(feed.pk) is False
    assert len(mail.outbox) == 1


def test_a_value_out_of_range_is_refused_and_records_nothing(
    cast, metric, receiver, local_addresses
):
    receiver.pages["/huge.json"] = ("application/json", b'{"v": 1e30}')
    feed = feed_for(metric, receiver.url + "/huge.json", "json", "v")
    assert feeds.feed_run(feed.pk) is False
    assert not CheckIn.objects.filter(metric=metric).exists()
    feed.refresh_from_db()
    assert feed.last_error


def test_a_feed_at_a_private_address_is_refused_when_the_setting_is_off(
    cast, metric, receiver, settings
):
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = False
    receiver.pages["/sheet.csv"] = ("text/csv", SHEET)
    feed = feed_for(metric, receiver.url + "/sheet.csv", "csv", "B2")
    assert feeds.feed_run(feed.pk) is False
    assert receiver.requests == []
    assert not CheckIn.objects.filter(metric=metric).exists()
    feed.refresh_from_db()
    assert "private or local network" in feed.last_error


def test_an_answer_over_the_size_limit_is_refused(
    cast, metric, receiver, local_addresses, settings
):
    settings.INTEGRATIONS_MAX_RESPONSE_BYTES = 1024
    receiver.pages["/big.csv"] = ("text/csv", b"a\n" + b"1\n" * 2000)
    feed = feed_for(metric, receiver.url + "/big.csv", "csv", "a")
    assert feeds.feed_run(feed.pk) is False
    feed.refresh_from_db()
    assert "larger than 1 KB" in feed.last_error


def test_the_owner_sets_up_a_feed_and_it_fetches_at_once(
    cast, metric, receiver, local_addresses, login, django_capture_on_commit_callbacks
):
    receiver.pages["/sheet.csv"] = ("text/csv", SHEET)
    client = login(cast.owner)
    url = reverse("integrations:feed", args=[cast.org.slug, metric.mission.slug, metric.uid])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "url": receiver.url + "/sheet.csv",
                "format": "csv",
                "selector": "Customers",
                "is_active": "on",
            },
        )
    assert response.status_code == 302
    assert CheckIn.objects.get(metric=metric).value == Decimal("12")
    assert "Last fetched" in client.get(url).content.decode()


def test_a_bad_json_path_is_refused_by_the_form(cast, metric, login, local_addresses):
    client = login(cast.owner)
    url = reverse("integrations:feed", args=[cast.org.slug, metric.mission.slug, metric.uid])
    response = client.post(
        url, {"url": "http://127.0.0.1:9/x", "format": "json", "selector": "a..b["}
    )
    assert response.status_code == 400
    assert "data.items[0].value" in response.content.decode()
    assert not MetricFeed.objects.exists()


def test_the_metrics_owner_who_cannot_edit_the_mission_cannot_set_up_a_feed(cast, metric, login):
    url = reverse("integrations:feed", args=[cast.org.slug, metric.mission.slug, metric.uid])
    assert login(cast.member).get(url).status_code == 403
