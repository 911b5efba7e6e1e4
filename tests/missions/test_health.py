"""The health check's rules, on plain values."""

from dataclasses import replace

import pytest

from missions.health import HealthFacts, mission_health

HEALTHY = HealthFacts(
    has_owner=True,
    has_end_date=True,
    goal_count=2,
    goals_without_metric=0,
    metric_count=3,
    outcome_metric_count=1,
    metrics_without_baseline=0,
    lead_team_count=1,
    stakeholder_count=2,
)


def codes(facts: HealthFacts) -> list[str]:
    return [issue.code for issue in mission_health(facts)]


def test_a_mission_with_everything_is_healthy():
    assert codes(HEALTHY) == []


def test_each_gap_is_named_with_its_fix():
    cases = {
        "no_owner": {"has_owner": False},
        "no_end_date": {"has_end_date": False},
        "no_goals": {"goal_count": 0, "metric_count": 0, "outcome_metric_count": 0},
        "goal_without_metric": {"goals_without_metric": 1},
        "no_outcome_metric": {"outcome_metric_count": 0},
        "no_baseline": {"metrics_without_baseline": 2},
        "no_lead_team": {"lead_team_count": 0},
        "no_stakeholders": {"stakeholder_count": 0},
    }
    for code, change in cases.items():
        assert codes(replace(HEALTHY, **change)) == [code], code


def test_only_output_metrics_are_flagged_but_no_metrics_at_all_is_a_goal_problem():
    no_metrics = replace(HEALTHY, metric_count=0, outcome_metric_count=0, goals_without_metric=2)
    assert codes(no_metrics) == ["goal_without_metric"]


def test_messages_count_correctly():
    one = mission_health(replace(HEALTHY, goals_without_metric=1))[0]
    two = mission_health(replace(HEALTHY, goals_without_metric=2))[0]
    assert one.message.startswith("1 goal has no metric")
    assert two.message.startswith("2 goals have no metric")


def test_a_brand_new_mission_lists_everything_to_do():
    empty = HealthFacts(False, False, 0, 0, 0, 0, 0, 0, 0)
    assert codes(empty) == [
        "no_owner",
        "no_end_date",
        "no_goals",
        "no_lead_team",
        "no_stakeholders",
    ]


@pytest.mark.django_db
def test_the_health_check_reads_the_counts_each_mission_stores(cast):
    from missions.models import AlignmentRole, Mission
    from tests.factories import (
        AlignmentFactory,
        GoalFactory,
        MetricFactory,
        MissionFactory,
        StakeholderLinkFactory,
    )

    bare = MissionFactory(organisation=cast.org, owner=None, ends_on=None)
    busy = MissionFactory(organisation=cast.org)
    measured, empty = GoalFactory(mission=busy), GoalFactory(mission=busy)
    MetricFactory(goal=measured, kind="output", baseline_value=None)
    MetricFactory(goal=measured, kind="outcome")
    MetricFactory(mission=busy, goal=None, kind="input")
    AlignmentFactory(mission=busy, role=AlignmentRole.CONTRIBUTOR)
    StakeholderLinkFactory(mission=busy)
    assert empty.metrics.count() == 0

    assert [issue.code for issue in Mission.objects.get(pk=bare.pk).health()] == [
        "no_owner",
        "no_end_date",
        "no_goals",
        "no_lead_team",
        "no_stakeholders",
    ]
    # Three metrics, one of them an outcome and one without a baseline; an empty goal.
    assert [issue.code for issue in Mission.objects.get(pk=busy.pk).health()] == [
        "no_owner",
        "no_end_date",
        "goal_without_metric",
        "no_baseline",
        "no_lead_team",
    ]
