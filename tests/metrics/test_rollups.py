"""The roll-up rules, on plain values (no database).

A goal's progress is the weighted mean of its measured metrics' progress, and its
expected progress the same mean of theirs; a mission's rolls up its goals the same way,
its metrics outside any goal counting as one more goal of weight 1. A whole's status is
`progress.status` of its progress against its expected progress, where a part whose
owner reports trouble (its latest confidence) pulls an on-track whole down to at risk,
never further; a part's own figures falling behind count only through the weighted
means.
"""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.models import Metric
from metrics.progress import SEVERITY, Status, expected_progress, status
from metrics.rollups import (
    NO_DATA,
    Figures,
    Rollup,
    expected_on,
    figures_of,
    lead_metric,
    metric_figures,
    metric_progress,
    mission_figures,
    rolled_up,
)

amounts = st.one_of(
    st.none(),
    st.decimals(
        min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False
    ),
)
days = st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
on_days = st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 1, 1))
confidences = st.sampled_from(["", "on_track", "at_risk", "off_track"])


def stored(metric: Metric) -> Metric:
    """The metric with the progress metrics.figures stores for it."""
    metric.progress = metric_progress(metric)
    return metric


metrics = st.builds(
    Metric,
    direction=st.sampled_from(["increase", "decrease", "stay_above", "stay_below"]),
    baseline_value=amounts,
    baseline_on=days,
    target_value=amounts,
    target_on=days,
    latest_value=amounts,
    latest_confidence=confidences,
    weight=st.integers(min_value=1, max_value=100),
).map(stored)


def measured(
    latest: str,
    *,
    weight: int = 1,
    confidence: str = "on_track",
    baseline_on: date = date(2026, 1, 1),
    target_on: date = date(2028, 1, 1),
) -> Metric:
    return stored(
        Metric(
            direction="increase",
            baseline_value=Decimal("0"),
            baseline_on=baseline_on,
            target_value=Decimal("100"),
            target_on=target_on,
            latest_value=Decimal(latest),
            latest_confidence=confidence,
            weight=weight,
        )
    )


def goal_of(*parts: Metric) -> Figures:
    return rolled_up((metric_figures(m), m.weight) for m in parts)


HALFWAY = date(2027, 1, 1)  # 50 % expected on the path of `measured`


@given(metric=metrics, on=on_days)
def test_a_metric_is_judged_by_its_stored_progress_against_its_straight_path(metric, on):
    judged = figures_of(metric, on)
    if not metric.is_measurable:
        assert judged == NO_DATA
        return
    expected = expected_progress(metric.baseline_on, metric.target_on, on)
    # Its owner's confidence can lower its status as far as off track.
    assert judged == Rollup(
        metric.progress, expected, status(metric.progress, expected, metric.latest_confidence)
    )


@given(parts=st.lists(metrics, max_size=6), on=on_days)
def test_a_whole_is_the_weighted_mean_of_its_measured_parts(parts, on):
    whole = goal_of(*parts)
    counted = [m for m in parts if m.progress is not None and m.is_measurable]
    if not counted:
        assert whole == Figures() and figures_of(whole, on) == NO_DATA
        return
    weights = sum(m.weight for m in counted)
    progress = sum(m.progress * m.weight for m in counted) / weights
    expected = (
        sum(expected_progress(m.baseline_on, m.target_on, on) * m.weight for m in counted) / weights
    )
    worried = any(SEVERITY.get(m.latest_confidence, -1) > 0 for m in counted)
    judged = figures_of(whole, on)
    assert judged.progress == pytest.approx(progress)
    assert judged.expected == pytest.approx(expected)
    pulled_to = Status.AT_RISK if worried else None
    assert judged.status == status(judged.progress, judged.expected, pulled_to)


def test_a_part_reporting_trouble_pulls_an_on_track_whole_to_at_risk_and_no_further():
    ahead, worried = measured("60", weight=3), measured("50", confidence="off_track")
    # The worried metric alone is off track: its owner says so.
    assert figures_of(worried, HALFWAY).status == Status.OFF_TRACK
    # The goal is 57.5 % of the way against 50 % expected: on track by its data, at risk
    # because one of its owners is worried.
    assert figures_of(goal_of(ahead, worried), HALFWAY) == Rollup(57.5, 50.0, Status.AT_RISK)
    # Far behind its path, a whole is off track by its data, whatever its owners report.
    behind = goal_of(measured("10", confidence="at_risk"), measured("15"))
    assert figures_of(behind, HALFWAY).status == Status.OFF_TRACK


def test_a_part_behind_its_path_counts_only_through_the_weighted_means():
    behind, ahead = measured("20"), measured("90")
    assert figures_of(behind, HALFWAY).status == Status.OFF_TRACK
    assert figures_of(goal_of(behind, ahead), HALFWAY) == Rollup(55.0, 50.0, Status.ON_TRACK)


def test_the_expected_path_lists_each_pair_of_dates_once_with_its_share():
    early = measured("50", weight=1, target_on=date(2027, 1, 1))
    late = [measured("50", weight=2), measured("50", weight=1)]
    whole = goal_of(early, *late)
    assert whole.expected_path == [
        ["2026-01-01", "2027-01-01", 0.25],
        ["2026-01-01", "2028-01-01", 0.75],
    ]
    assert expected_on(whole.expected_path, date(2025, 1, 1)) == 0
    assert expected_on(whole.expected_path, HALFWAY) == pytest.approx(100 * 0.25 + 50 * 0.75)
    assert expected_on(whole.expected_path, date(2029, 1, 1)) == 100
    assert expected_on([], HALFWAY) is None


def test_unmeasured_parts_and_parts_without_a_reading_are_left_out():
    no_target = stored(Metric(baseline_value=Decimal(0), baseline_on=date(2026, 1, 1)))
    no_reading = measured("0")
    no_reading.latest_value, no_reading.progress = None, None
    counted = measured("40", weight=2)
    assert figures_of(no_reading, HALFWAY) == Rollup(None, 50.0, Status.NO_DATA)
    assert figures_of(goal_of(no_target, no_reading, counted), HALFWAY) == figures_of(
        goal_of(counted), HALFWAY
    )
    assert figures_of(goal_of(no_target, no_reading), HALFWAY) == NO_DATA


def test_a_mission_counts_its_metrics_outside_goals_as_one_goal_of_weight_one():
    goal = goal_of(measured("60"))
    loose = [measured("80", weight=1), measured("20", weight=3)]  # 35 % together
    mission = mission_figures([(goal, 3)], [(metric_figures(m), m.weight) for m in loose])
    assert mission.progress == pytest.approx((60 * 3 + 35 * 1) / 4)
    assert mission_figures([], [(metric_figures(m), m.weight) for m in loose]).progress == 35.0
    assert mission_figures([(goal, 3)], []) == goal


@given(
    goals=st.lists(st.lists(metrics, max_size=3), max_size=3), loose=st.lists(metrics, max_size=3)
)
def test_a_mission_from_its_goals_figures_is_its_metrics_rolled_up_in_two_steps(goals, loose):
    figures = mission_figures(
        [(goal_of(*parts), 1 + n) for n, parts in enumerate(goals)],
        [(metric_figures(m), m.weight) for m in loose],
    )
    two_steps = rolled_up(
        [(goal_of(*parts), 1 + n) for n, parts in enumerate(goals)]
        + ([(goal_of(*loose), 1)] if loose else [])
    )
    assert figures == two_steps


def test_the_lead_metric_is_the_first_outcome_with_a_reading():
    output = Metric(kind="output", latest_on=date(2026, 5, 1))
    unread = Metric(kind="outcome", latest_on=None)
    lead = Metric(kind="outcome", latest_on=date(2026, 5, 1))
    assert lead_metric([output, unread, lead, Metric(kind="outcome")]) is lead
    assert lead_metric([output, unread]) is None
