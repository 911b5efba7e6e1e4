"""Reports and share pages chart a bounded series of a long history (issue 17, finding 2):
the newest readings, all a forecast reads, always among them."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from metrics.forecast import RECENT
from metrics.models import CHART_POINTS, CheckIn
from missions.models import Report, Visibility
from reporting import sharing
from reporting.reports import report_publish
from tests.factories import GoalFactory, MetricFactory, MissionFactory

TODAY = datetime.date(2026, 6, 15)
READINGS = 3000


@pytest.fixture
def long_history(cast):
    with time_machine.travel(datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC), tick=False):
        mission = MissionFactory(
            organisation=cast.org, owner=cast.admin, visibility=Visibility.SHAREABLE
        )
        metric = MetricFactory(goal=GoalFactory(mission=mission), kind="outcome")
        first = TODAY - datetime.timedelta(days=READINGS - 1)
        CheckIn.objects.bulk_create(
            CheckIn(
                metric=metric,
                value=Decimal(n % 50),
                for_date=first + datetime.timedelta(days=n),
                note="Checked" if n == READINGS - 1 else "",
            )
            for n in range(READINGS)
        )
        yield mission, metric


def newest(metric) -> list[tuple[str, float]]:
    rows = metric.checkins.order_by("for_date").values_list("for_date", "value")
    return [(on.isoformat(), float(value)) for on, value in rows][-RECENT:]


def test_a_published_report_freezes_a_bounded_chart_with_the_newest_readings(cast, long_history):
    mission, metric = long_history
    report = Report.objects.create(
        organisation=cast.org,
        title="Half year",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
        author=cast.admin,
    )
    report.missions.set([mission])
    with time_machine.travel(datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC)):
        report_publish(report, cast.admin)

    (chart,) = report.snapshot["missions"][0]["charts"]
    assert len(chart["points"]) <= CHART_POINTS + RECENT + 1
    assert [tuple(point) for point in chart["points"][-RECENT:]] == newest(metric)
    assert chart["points"][0][0] == (TODAY - datetime.timedelta(days=READINGS - 1)).isoformat()
    assert [c["note"] for c in report.snapshot["missions"][0]["comments"]] == ["Checked"]


def test_a_share_page_charts_a_bounded_series(long_history):
    mission, _ = long_history
    page = sharing.mission_page(mission, TODAY)
    (shown,) = page["goals"][0]["metrics"]
    for _, drawn in shown["chart"]["charts"]:
        assert drawn.actual_path.count(" L") + 1 <= CHART_POINTS + RECENT + 1
