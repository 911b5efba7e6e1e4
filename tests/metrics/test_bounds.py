"""What one organisation can make a metric hold and the server read (issue 17, finding 2):
readings per metric, imports per hour, the metric page's chart and history, streamed
exports."""

import datetime
import itertools
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.forecast import RECENT, forecast
from metrics.models import (
    CHART_POINTS,
    IMPORTS_PER_HOUR,
    MAX_READINGS,
    CheckIn,
    CheckInImport,
    TooManyReadings,
)
from metrics.services import Reading, checkin_record, checkins_import
from tests.factories import MetricFactory
from tests.metrics.test_checkins import url as metric_url
from tests.metrics.test_csv import (
    export_url,
    import_url,
    metric,  # noqa: F401 -- a fixture
    mission,  # noqa: F401 -- a fixture
    mission_export_url,
    upload,
)

NOW = datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC)
FIRST_DAY = datetime.date(2005, 1, 1)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def fill(into, count: int, start: datetime.date = FIRST_DAY) -> None:
    """`count` daily readings of the metric `into`, as fast as the database takes them."""
    CheckIn.objects.bulk_create(
        CheckIn(
            metric=into,
            value=Decimal(n % 97),
            for_date=start + datetime.timedelta(days=n),
            confidence="on_track",
        )
        for n in range(count)
    )


def drawn_points(html: str) -> int:
    """How many readings the page's largest chart joins with its line."""
    paths = re.findall(r'<path class="chart-actual" d="([^"]+)"', html)
    return max(path.count(" L") + 1 for path in paths)


# ---- The chart reads a bounded series, chosen in the database ----


def test_a_chart_series_spreads_over_the_history_and_keeps_the_newest(metric):  # noqa: F811
    other = MetricFactory(goal=metric.goal)
    fill(metric, 2000)
    fill(other, 5)
    rows = list(
        CheckIn.objects.filter(metric__in=[metric, other], is_current=True)
        .chart_series(100)
        .values_list("metric_id", "for_date", "value")
    )
    mine = [(on, value) for metric_id, on, value in rows if metric_id == metric.pk]
    everything = list(metric.checkins.order_by("for_date").values_list("for_date", "value"))

    assert len(mine) <= 100 + RECENT + 1
    assert mine[0] == everything[0]
    assert mine[-RECENT:] == everything[-RECENT:]  # all the forecast reads
    assert mine == sorted(mine)
    gaps = {(b[0] - a[0]).days for a, b in itertools.pairwise(mine)}
    assert max(gaps) <= 20  # evenly spread: every 20th day of 2,000
    assert sum(1 for metric_id, _, _ in rows if metric_id == other.pk) == 5  # short: whole


def test_the_metric_page_charts_a_bounded_series_and_forecasts_from_the_newest(
    cast,
    login,
    metric,  # noqa: F811
):
    fill(metric, 3000)
    page = login(cast.member).get(metric_url("detail", metric))

    assert page.status_code == 200
    assert drawn_points(page.text) <= CHART_POINTS + RECENT + 1
    assert page.text.count("<tr class=") == 26  # one page of the history
    newest = list(metric.checkins.order_by("for_date").values_list("for_date", "value"))[-RECENT:]
    trend = forecast(
        [(on, float(v)) for on, v in newest],
        float(metric.target_value),
        metric.target_on,
        metric.direction,
    )
    assert page.context["forecast"] == trend


def test_the_metric_page_reads_as_many_rows_with_a_long_history_as_with_a_short_one(
    cast,
    login,
    metric,  # noqa: F811
    uncached,
):
    client = login(cast.member)
    fill(metric, CHART_POINTS)
    client.get(metric_url("detail", metric))

    def rows_read() -> int:
        """Rows the page's queries return, counted by running them again."""
        with CaptureQueriesContext(connection) as captured:
            assert client.get(metric_url("detail", metric)).status_code == 200
        total = 0
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if sql.lstrip().upper().startswith("SELECT") and "checkin" in sql:
                    cursor.execute(sql)
                    total += len(cursor.fetchall())
        return total

    short = rows_read()
    fill(metric, 4000, start=FIRST_DAY + datetime.timedelta(days=CHART_POINTS))
    assert rows_read() <= short + RECENT + 2


# ---- A metric holds at most MAX_READINGS current readings ----


def test_a_check_in_on_a_full_metric_is_refused_with_a_message(cast, login, metric):  # noqa: F811
    fill(metric, MAX_READINGS)
    client = login(cast.member)
    response = client.post(
        metric_url("check_in", metric),
        {"value": "10", "for_date": "2026-06-15", "confidence": "on_track"},
    )

    assert response.status_code == 400
    assert "already has 5,000 check-ins, the most a metric keeps" in response.text
    assert metric.checkins.count() == MAX_READINGS
    # Correcting a date it has is no new reading, and goes through.
    last = metric.checkins.latest("for_date")
    checkin_record(
        metric, value=Decimal(3), for_date=last.for_date, author=cast.member, confidence="at_risk"
    )
    assert metric.checkins.filter(is_current=True).count() == MAX_READINGS


def test_an_import_that_would_overfill_a_metric_is_refused_before_the_preview(
    cast,
    login,
    metric,  # noqa: F811
):
    fill(metric, MAX_READINGS - 1, start=datetime.date(2010, 1, 1))
    response = upload(login(cast.member), metric, "date,value\n2026-06-01,5\n2026-06-02,6\n")
    assert response.status_code == 400
    assert "already has 5,000 check-ins" in response.text
    assert "and this adds 2 more" in response.text
    assert metric.checkins.count() == MAX_READINGS - 1


def test_the_import_service_keeps_the_bound_itself(cast, metric):  # noqa: F811
    fill(metric, MAX_READINGS, start=datetime.date(2010, 1, 1))
    with pytest.raises(TooManyReadings):
        checkins_import(
            metric,
            [Reading(datetime.date(2026, 6, 1), Decimal(1), "on_track")],
            author=cast.member,
        )
    assert metric.checkins.count() == MAX_READINGS
    assert not CheckInImport.objects.exists()


# ---- An organisation makes at most IMPORTS_PER_HOUR imports an hour ----


def test_imports_are_limited_per_organisation_per_hour(cast, login, metric):  # noqa: F811
    client = login(cast.member)
    for n in range(IMPORTS_PER_HOUR):
        checkins_import(
            metric,
            [
                Reading(
                    datetime.date(2026, 5, 1) + datetime.timedelta(days=n), Decimal(n), "on_track"
                )
            ],
            author=cast.member,
        )
    assert CheckInImport.objects.filter(organisation=cast.org).count() == IMPORTS_PER_HOUR

    refused = upload(client, metric, "date,value\n2026-06-01,5\n")
    assert refused.status_code == 429
    assert f"imported {IMPORTS_PER_HOUR} files in the last hour" in refused.text
    assert "Try again after 15 Jun 2026, 14:00" in refused.text  # in London
    assert not metric.checkins.filter(for_date=datetime.date(2026, 6, 1)).exists()

    with time_machine.travel(NOW + datetime.timedelta(hours=1, seconds=1), tick=False):
        preview = upload(client, metric, "date,value\n2026-06-01,5\n")
        assert preview.status_code == 200
        saved = client.post(import_url(metric), {"payload": preview.context["payload"]})
        assert saved.status_code == 302
    assert metric.checkins.filter(for_date=datetime.date(2026, 6, 1)).exists()


def test_another_organisations_imports_do_not_count(cast, login, metric):  # noqa: F811
    other = MetricFactory(goal__mission__organisation=cast.other_org)
    for _n in range(IMPORTS_PER_HOUR):
        CheckInImport.objects.create(organisation=cast.other_org, metric=other, readings=1)
    assert upload(login(cast.member), metric, "date,value\n2026-06-01,5\n").status_code == 200


# ---- Exports stream ----


def reads_checkins(captured) -> bool:
    return any('"metrics_checkin"' in q["sql"] for q in captured.captured_queries)


@pytest.mark.parametrize("whole_mission", [False, True])
def test_an_export_is_written_as_it_is_sent(cast, login, mission, metric, whole_mission):  # noqa: F811
    fill(metric, 2500, start=datetime.date(2015, 1, 1))
    address = mission_export_url(mission) if whole_mission else export_url(metric)
    with CaptureQueriesContext(connection) as answering:
        response = login(cast.member).get(address)
    assert response.streaming
    assert not reads_checkins(answering)  # the view answered before reading a row
    with CaptureQueriesContext(connection) as sending:
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    assert reads_checkins(sending)
    assert lines == 2501  # the header and every check-in
