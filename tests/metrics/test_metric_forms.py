import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import Metric
from tests.factories import GoalFactory, MetricFactory, MissionFactory

METRIC = {
    "name": "Scope 1 and 2 emissions",
    "kind": "outcome",
    "unit": "tonnes CO2e",
    "format": "number",
    "direction": "decrease",
    "baseline_value": "120",
    "baseline_on": "2026-01-01",
    "target_value": "12",
    "target_on": "2030-01-01",
    "cadence": "quarterly",
    "owner": "member@acme.example",
    "source_note": "Energy bills and fuel cards",
    "weight": "2",
}


@pytest.fixture
def goal(cast):
    mission = MissionFactory(organisation=cast.org, slug="net-zero", owner=cast.member)
    return GoalFactory(mission=mission)


def add_url(goal):
    return reverse("metrics:add", args=["acme", goal.mission.slug, goal.uid])


def test_the_mission_owner_adds_an_outcome_metric_to_a_goal(cast, login, goal):
    response = login(cast.member).post(add_url(goal), METRIC)
    assert response.status_code == 302
    metric = Metric.objects.get()
    assert (metric.goal, metric.mission) == (goal, goal.mission)
    assert metric.baseline_value == Decimal("120")
    assert metric.owner == cast.member


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target_value": "120"}, "The target must differ from the baseline."),
        ({"target_value": "200"}, "To decrease, the target must be below the baseline."),
        ({"target_on": "2025-01-01"}, "The target date must be after the baseline date."),
        ({"baseline_on": ""}, "Give the baseline and the date it was measured together."),
        ({"baseline_value": "lots"}, "Enter a number, like 1.5."),
        ({"kind": "vibes"}, "Select a valid choice."),
        ({"weight": "0"}, "Enter a weight from 1 to 100."),
        ({"weight": "101"}, "Enter a weight from 1 to 100."),
    ],
)
def test_bad_metric_input_gets_a_message_and_saves_nothing(cast, login, goal, change, message):
    response = login(cast.member).post(add_url(goal), METRIC | change)
    assert response.status_code == 400
    assert message in response.text
    assert not Metric.objects.exists()


def test_a_stay_below_metric_may_start_at_its_limit(cast, login, goal):
    response = login(cast.member).post(
        add_url(goal), METRIC | {"direction": "stay_below", "target_value": "120"}
    )
    assert response.status_code == 302


def test_editing_a_metric_keeps_it_when_the_input_is_bad(cast, login, goal):
    metric = MetricFactory(goal=goal, name="Waste")
    url = reverse("metrics:edit", args=["acme", goal.mission.slug, metric.uid])
    response = login(cast.admin).post(
        url, METRIC | {"target_on": "2020-01-01", "name": "X", "version": "1"}
    )
    assert response.status_code == 400
    metric.refresh_from_db()
    assert metric.name == "Waste"
    assert metric.target_on == datetime.date(2028, 1, 1)


def test_a_viewer_cannot_add_metrics(cast, login, goal):
    assert login(cast.viewer).post(add_url(goal), METRIC).status_code == 403
    assert not Metric.objects.exists()


def test_a_metric_can_measure_the_whole_mission(cast, login, goal):
    mission = goal.mission
    url = reverse("metrics:add_to_mission", args=["acme", mission.slug])
    response = login(cast.member).post(url, METRIC | {"name": "Customers who would recommend us"})
    metric = Metric.objects.get()
    assert (metric.mission, metric.goal) == (mission, None)
    assert response["Location"] == reverse(
        "metrics:detail", args=["acme", mission.slug, metric.uid]
    )
    page = login(cast.member).get(mission.get_absolute_url())
    assert "Measured across the whole mission" in page.text
    assert "Customers who would recommend us" in page.text
