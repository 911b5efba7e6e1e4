"""Progress, status and forecast rules, on plain values (no database)."""

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from metrics.forecast import forecast
from metrics.progress import Status, expected_progress, progress, status

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
percent = st.floats(min_value=0, max_value=100)
confidences = st.sampled_from([None, "on_track", "at_risk", "off_track"])


@given(baseline=values, target=values)
def test_progress_is_0_at_baseline_and_100_at_target_when_moving(baseline, target):
    assume(abs(target - baseline) > 1e-6)
    direction = "increase" if target > baseline else "decrease"
    assert progress(direction, baseline, target, baseline) == 0
    assert progress(direction, baseline, target, target) == 100


@given(baseline=values, target=values, current=values)
def test_progress_is_always_between_0_and_100(baseline, target, current):
    for direction in ("increase", "decrease", "stay_above", "stay_below"):
        assert 0 <= progress(direction, baseline, target, current) <= 100


@given(baseline=values, target=values, a=values, b=values)
def test_moving_towards_the_target_never_lowers_progress(baseline, target, a, b):
    assume(abs(target - baseline) > 1e-6)
    direction = "increase" if target > baseline else "decrease"
    # How far along the way from baseline to target each is, before any clamping.
    behind, ahead = sorted((a, b), key=lambda v: (v - baseline) / (target - baseline))
    assert progress(direction, baseline, target, ahead) >= progress(
        direction, baseline, target, behind
    )


def test_decreasing_metrics_count_the_fall():
    assert progress("decrease", 120, 12, 66) == pytest.approx(50)
    assert progress("decrease", 120, 12, 130) == 0
    assert progress("decrease", 120, 12, 5) == 100


@given(target=values, margin=st.floats(min_value=0, max_value=1e6))
def test_a_limit_is_met_on_its_right_side(target, margin):
    assert progress("stay_above", target - 10, target, target + margin) == 100
    assert progress("stay_below", target + 10, target, target - margin) == 100


def test_a_limit_already_met_at_baseline_that_slips_is_zero():
    assert progress("stay_below", 40, 48, 50) == 0
    assert progress("stay_above", 90, 85, 80) == 0


def test_a_limit_approached_from_the_wrong_side_counts_the_way_travelled():
    assert progress("stay_below", 60, 48, 54) == pytest.approx(50)


def test_expected_progress_follows_the_straight_path():
    start, end = date(2026, 1, 1), date(2027, 1, 1)
    assert expected_progress(start, end, date(2025, 6, 1)) == 0
    assert expected_progress(start, end, start + timedelta(days=73)) == pytest.approx(20)
    assert expected_progress(start, end, date(2028, 1, 1)) == 100


@given(actual=percent, expected=percent, confidence=confidences)
def test_confidence_can_lower_the_status_but_never_raise_it(actual, expected, confidence):
    severity = {Status.ON_TRACK: 0, Status.AT_RISK: 1, Status.OFF_TRACK: 2}
    from_data = status(actual, expected)
    with_confidence = status(actual, expected, confidence)
    assert severity[with_confidence] >= severity[from_data] or actual >= 100


@given(expected=percent, confidence=confidences)
def test_a_check_in_at_the_target_is_never_off_track(expected, confidence):
    assert status(100, expected, confidence) != Status.OFF_TRACK


def test_status_from_the_gap_to_the_path():
    assert status(50, 55) == Status.ON_TRACK
    assert status(50, 70) == Status.AT_RISK
    assert status(50, 80) == Status.OFF_TRACK
    assert status(None, 50) == Status.NO_DATA
    assert status(50, 55, "off_track") == Status.OFF_TRACK


def weekly(start: date, values: list[float]) -> list[tuple[date, float]]:
    return [(start + timedelta(weeks=i), v) for i, v in enumerate(values)]


def test_a_steady_rise_is_projected_to_the_target_date():
    points = weekly(date(2026, 1, 5), [10, 12, 14, 16])  # +2 a week
    result = forecast(points, target=30, target_on=date(2026, 3, 30), direction="increase")
    assert result.slope_per_day == pytest.approx(2 / 7)
    assert result.reaches_target_on == date(2026, 1, 5) + timedelta(days=70)
    assert result.value_at_target_date == pytest.approx(10 + 2 / 7 * 84)


def test_a_fall_towards_a_lower_target_is_forecast():
    points = weekly(date(2026, 1, 5), [120, 110, 100])
    result = forecast(points, target=60, target_on=date(2026, 12, 1), direction="decrease")
    assert result.reaches_target_on == date(2026, 1, 5) + timedelta(weeks=6)


def test_heading_the_wrong_way_is_not_at_this_rate():
    points = weekly(date(2026, 1, 5), [10, 9, 8])
    assert forecast(points, 30, date(2027, 1, 1), "increase").reaches_target_on is None


def test_flat_is_not_at_this_rate_and_one_point_is_no_forecast():
    assert (
        forecast(
            weekly(date(2026, 1, 5), [5, 5]), 9, date(2027, 1, 1), "increase"
        ).reaches_target_on
        is None
    )
    assert forecast(weekly(date(2026, 1, 5), [5]), 9, date(2027, 1, 1), "increase") is None


def test_already_at_target_is_reached_on_the_last_check_in():
    points = weekly(date(2026, 1, 5), [8, 9, 12])
    result = forecast(points, 10, date(2027, 1, 1), "increase")
    assert result.reaches_target_on == points[-1][0]


def test_the_forecast_follows_recent_check_ins():
    old_fall = [50.0 - i for i in range(20)]
    recent_rise = [31.0 + 3 * i for i in range(8)]
    points = weekly(date(2025, 1, 6), old_fall + recent_rise)
    result = forecast(points, 100, date(2027, 1, 1), "increase")
    assert result.slope_per_day == pytest.approx(3 / 7)


@given(st.lists(st.floats(min_value=-1e4, max_value=1e4), min_size=2, max_size=30))
def test_forecast_never_crashes_and_a_reach_date_is_never_before_the_last_check_in(values):
    points = weekly(date(2026, 1, 5), values)
    result = forecast(points, 50, date(2030, 1, 1), "increase")
    assert result is not None
    reached = result.reaches_target_on
    assert reached is None or reached >= points[-1][0] or values[-1] >= 50


# ---- Good news or bad: a movement judged by the metric's direction ----


@pytest.mark.parametrize(
    ("direction", "before", "after", "tone", "words"),
    [
        ("increase", 10, 12, "good", "Rising: good news, as higher is better"),
        ("increase", 12, 10, "bad", "Falling: bad news, as higher is better"),
        ("stay_above", 12, 10, "bad", "Falling: bad news, as higher is better"),
        ("decrease", 120, 110, "good", "Falling: good news, as lower is better"),
        ("decrease", 110, 120, "bad", "Rising: bad news, as lower is better"),
        ("stay_below", 5, 4, "good", "Falling: good news, as lower is better"),
        ("decrease", 7, 7, "flat", "No change"),
    ],
)
def test_a_movement_is_good_or_bad_news_by_the_metrics_direction(
    direction, before, after, tone, words
):
    from metrics.progress import movement

    moved = movement(direction, before, after)
    assert (moved.tone, moved.words) == (tone, words)
    assert moved.good is {"good": True, "bad": False, "flat": None}[tone]
