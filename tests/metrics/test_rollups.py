"""Roll-ups judged from plain rows read as the models would judge them (no database)."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from metrics.models import Metric
from metrics.progress import SEVERITY, Status, status, weighted_progress
from metrics.rollups import (
    Rollup,
    combine,
    figures_rollup,
    metric_rollup,
    mission_progress,
    mission_rollup,
)

amounts = st.one_of(
    st.none(),
    st.decimals(
        min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False
    ),
)
days = st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
metrics = st.builds(
    Metric,
    direction=st.sampled_from(["increase", "decrease", "stay_above", "stay_below"]),
    baseline_value=amounts,
    baseline_on=days,
    target_value=amounts,
    target_on=days,
    latest_value=amounts,
    latest_confidence=st.sampled_from(["", "on_track", "at_risk", "off_track"]),
    weight=st.integers(min_value=1, max_value=100),
)
rollups = st.builds(
    Rollup,
    progress=st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
    expected=st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
    status=st.sampled_from(Status),
)
parts = st.lists(st.tuples(rollups, st.integers(min_value=1, max_value=100)), max_size=5)


@given(metric=metrics, today=st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 1, 1)))
def test_a_row_is_judged_as_its_metric_is(metric, today):
    # A Metric has every column rollups.Figures names; figures_rollup reads only those.
    assert figures_rollup(metric, today) == metric_rollup(metric, today)


def combined_in_passes(parts):
    """combine as it was written before it took one pass: the rule it must keep."""
    measured = [(r, w) for r, w in parts if r.progress is not None and r.expected is not None]
    actual = weighted_progress((r.progress, w) for r, w in measured)
    expected = weighted_progress((r.expected, w) for r, w in measured)
    if actual is None or expected is None:
        return Rollup(None, None, Status.NO_DATA)
    reported = max((r.status for r, _ in measured), key=lambda s: SEVERITY.get(s, -1))
    combined = status(actual, expected)
    if SEVERITY.get(reported, -1) > SEVERITY.get(combined, -1) and combined == Status.ON_TRACK:
        combined = Status.AT_RISK
    return Rollup(actual, expected, combined)


@given(st.lists(st.tuples(rollups, st.integers(min_value=-1, max_value=100)), max_size=8))
def test_parts_combine_as_weighted_means_with_trouble_reported_below(parts):
    assert combine(parts) == combined_in_passes(parts)


@given(goals=parts, loose=parts)
def test_a_mission_rolls_up_its_goals_and_its_own_metrics_as_mission_progress_does(goals, loose):
    expected = combine(goals + ([(combine(loose), 1)] if loose else []))
    assert mission_rollup(goals, loose) == expected


def test_mission_progress_counts_metrics_outside_goals_as_one_goal_of_weight_one():
    today = date(2027, 1, 1)
    measured = {
        "baseline_value": Decimal("0"),
        "baseline_on": date(2026, 1, 1),
        "target_value": Decimal("100"),
        "target_on": date(2028, 1, 1),
    }
    loose = [
        Metric(**measured, latest_value=Decimal("80"), weight=1),
        Metric(**measured, latest_value=Decimal("20"), weight=3),
    ]
    progress = mission_progress([], loose, today)
    assert progress.rollup == mission_rollup(
        [], [(figures_rollup(m, today), m.weight) for m in loose]
    )
    assert progress.rollup.progress == 35.0  # (80 * 1 + 20 * 3) / 4
