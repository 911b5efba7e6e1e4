"""When a new metric is first due, and where a metric without a baseline starts from.

Issue 15, finding 8: a metric added on 5 Dec with a baseline from 1 Nov was "due 1 Dec",
overdue the moment it existed. Finding 9: a metric without a baseline (most template
metrics) still said "No data yet" after its first check-in.
"""

import datetime
import importlib
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from metrics import progress
from metrics.figures import figures_recompute
from metrics.models import CheckIn, Metric
from metrics.progress import Status
from metrics.rollups import figures_of
from metrics.services import checkin_correct, checkin_record
from missions.models import Mission
from tests.factories import GoalFactory, MetricFactory, MissionFactory
from tests.metrics.test_checkins import record

NOW = "2026-12-05 10:00Z"  # a Saturday
TODAY = datetime.date(2026, 12, 5)


@pytest.fixture(autouse=True)
def saturday():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def goal(cast):
    mission = MissionFactory(organisation=cast.org, slug="net-zero", owner=cast.member)
    return GoalFactory(mission=mission)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def add(client, goal, **fields):
    form = {
        "name": "Share of green energy",
        "kind": "outcome",
        "format": "percentage",
        "direction": "increase",
        "baseline_value": "20",
        "baseline_on": "2026-11-01",
        "target_value": "80",
        "target_on": "2028-12-31",
        "cadence": "monthly",
        "weight": "1",
    }
    response = client.post(
        reverse("metrics:add", args=["acme", goal.mission.slug, goal.uid]), form | fields
    )
    assert response.status_code == 302, response.content.decode()
    return Metric.objects.get(name="Share of green energy")


# ---- Finding 8: first due a cadence after it is added --------------------------------------


def test_a_new_metric_is_first_due_a_cadence_after_it_is_added_not_after_its_baseline(
    cast, login, goal
):
    client = login(cast.member)
    metric = add(client, goal)

    assert metric.next_due_on == datetime.date(2027, 1, 4)  # 5 Dec + 30 days
    assert "Mon 4 Jan 2027" in text(client.get(metric_url(metric)))
    overdue = client.get(reverse("reporting:dashboard", args=["acme"])).content.decode()
    assert metric.name not in overdue


def test_a_new_metric_is_first_due_on_the_day_chosen_then_a_cadence_after_each_check_in(
    cast, login, goal
):
    client = login(cast.member)
    metric = add(client, goal, first_due_on="2026-12-10")
    assert metric.next_due_on == datetime.date(2026, 12, 10)

    checkin_record(
        metric, value=Decimal(25), for_date=TODAY, author=cast.member, confidence="on_track"
    )
    metric.refresh_from_db()
    assert metric.next_due_on == datetime.date(2027, 1, 4)
    # Checked in: the edit form no longer asks when the first check-in is due.
    edit = client.get(reverse("metrics:edit", args=["acme", "net-zero", metric.uid]))
    assert 'name="first_due_on"' not in edit.content.decode()


def test_a_first_due_day_in_the_past_is_refused(cast, login, goal):
    response = login(cast.member).post(
        reverse("metrics:add", args=["acme", goal.mission.slug, goal.uid]),
        {"name": "X", "kind": "outcome", "format": "number", "direction": "increase"}
        | {"cadence": "weekly", "weight": "1", "first_due_on": "2026-12-01"},
    )
    assert response.status_code == 400
    assert "Choose a date between today and 31 Dec 2100." in response.content.decode()
    assert not Metric.objects.exists()


def test_changing_the_cadence_before_the_first_check_in_moves_the_first_due_date(cast, login, goal):
    client = login(cast.member)
    metric = add(client, goal)
    form = client.get(reverse("metrics:edit", args=["acme", "net-zero", metric.uid])).context[
        "form"
    ]
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"cadence": "weekly", "owner": ""}
    response = client.post(reverse("metrics:edit", args=["acme", "net-zero", metric.uid]), data)
    assert response.status_code == 302, response.content.decode()
    metric.refresh_from_db()
    assert metric.next_due_on == datetime.date(2026, 12, 12)


# ---- Finding 9: no baseline, the first check-in is the starting point ----------------------


def metric_url(metric) -> str:
    return reverse("metrics:detail", args=["acme", metric.mission.slug, metric.uid])


@pytest.fixture
def bare(cast, goal):
    """As a template makes it: a target, no baseline."""
    return MetricFactory(
        goal=goal,
        name="Homes retrofitted",
        unit="homes",
        owner=cast.member,
        baseline_value=None,
        baseline_on=None,
        target_value=Decimal(50),
        target_on=datetime.date(2028, 12, 31),
        direction="increase",
    )


def test_before_its_first_check_in_it_says_the_first_one_will_be_the_start(cast, login, bare):
    page = text(login(cast.member).get(metric_url(bare)))
    assert "Starting point the first check-in, as no baseline is recorded" in page
    assert figures_of(bare, TODAY).status == Status.NO_DATA


def test_after_its_first_check_in_it_is_measured_from_it_and_says_so(cast, login, bare):
    record(bare, cast.member, "12", "2026-12-03")
    bare.refresh_from_db()

    page = text(login(cast.member).get(metric_url(bare)))
    assert "Starting point first check-in, 12 homes on 3 Dec" in page
    assert "No data yet" not in page
    assert "won't reach the target" not in page
    assert "On track" in page and "0&nbsp;% of the way" in page
    judged = figures_of(bare, TODAY)
    assert (judged.progress, judged.status) == (0.0, Status.ON_TRACK)
    assert judged.expected == pytest.approx(2 / 759 * 100)  # 2 days of 3 Dec 2026 → 2028
    assert bare.mission.metrics.get().progress == 0.0
    mission = Mission.objects.get(pk=bare.mission_id)
    assert mission.progress == 0.0
    assert mission.expected_path == [["2026-12-03", "2028-12-31", 1.0]]

    record(bare, cast.member, "31", "2026-12-05")
    bare.refresh_from_db()
    assert bare.progress == pytest.approx(50.0)  # 12 → 31 of 12 → 50
    # The mission page's row says where it is measured from.
    mission_page = text(login(cast.member).get(mission.get_absolute_url()))
    assert "from 12 homes (first check-in) → 50 homes by Dec 2028" in mission_page


def test_a_starting_point_follows_a_corrected_or_earlier_first_check_in(cast, bare):
    first = record(bare, cast.member, "12", "2026-12-03")
    checkin_correct(first, value=Decimal(10), author=cast.admin, confidence="on_track")
    bare.refresh_from_db()
    assert (bare.first_value, bare.first_on) == (Decimal(10), datetime.date(2026, 12, 3))
    record(bare, cast.member, "5", "2026-11-01")  # history entered late
    bare.refresh_from_db()
    assert (bare.first_value, bare.first_on) == (Decimal(5), datetime.date(2026, 11, 1))
    assert bare.progress == pytest.approx((10 - 5) / (50 - 5) * 100)


def test_a_recorded_baseline_wins_over_the_first_check_in(cast, bare):
    record(bare, cast.member, "12", "2026-12-03")
    Metric.objects.filter(pk=bare.pk).update(
        baseline_value=Decimal(0), baseline_on=datetime.date(2026, 1, 1)
    )
    figures_recompute()
    bare.refresh_from_db()
    assert bare.progress == pytest.approx(12 / 50 * 100)


def test_a_start_already_past_the_target_counts_as_reached_until_it_slips_back():
    assert progress.progress("increase", 60, 50, 60) == 100.0
    assert progress.progress("increase", 60, 50, 55) == 100.0
    assert progress.progress("increase", 60, 50, 45) == 0.0
    assert progress.progress("decrease", 5, 10, 8) == 100.0
    assert progress.progress("decrease", 5, 10, 12) == 0.0
    # Starting below an increase's target is the usual line.
    assert progress.progress("increase", 10, 50, 30) == 50.0


def test_no_drift_after_check_ins_and_the_migration_fills_metrics_checked_in_before_it(cast, bare):
    record(bare, cast.member, "12", "2026-12-03")
    record(bare, cast.member, "31", "2026-12-05")
    out = io.StringIO()
    call_command("recompute_figures", "--check", stdout=out)
    assert "0 stored figure(s) had drifted" in out.getvalue()

    # As before the migration: no first check-in kept, figures from the old rule, and a
    # metric never checked in due a cadence after its baseline.
    Metric.objects.filter(pk=bare.pk).update(first_value=None, first_on=None)
    figures_recompute()
    untouched = MetricFactory(
        goal=bare.goal, cadence="weekly", next_due_on=datetime.date(2026, 1, 8)
    )
    migration = importlib.import_module("metrics.migrations.0008_first_checkin_and_first_due")
    migration.fill(apps, None)

    bare.refresh_from_db()
    assert (bare.first_value, bare.first_on) == (Decimal(12), datetime.date(2026, 12, 3))
    untouched.refresh_from_db()
    assert untouched.next_due_on == datetime.date(2026, 12, 12)
    # What recompute_figures then fixes, as make run and compose's migrate service run it.
    fixed = {(d.model, d.field) for d in figures_recompute()}
    assert {("metric", "progress"), ("goal", "progress"), ("mission", "progress")} <= fixed
    assert figures_recompute() == []
    assert CheckIn.objects.count() == 2
