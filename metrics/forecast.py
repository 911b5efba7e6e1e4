"""A least-squares trend over recent check-ins: where a metric is heading, and when it arrives."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

# The trend follows the latest check-ins, not the whole history: recent pace is the
# better guide to what happens next.
RECENT = 8


@dataclass(frozen=True, slots=True)
class Forecast:
    slope_per_day: float
    value_at_target_date: float
    # The date the target is reached at this rate; None means "not at this rate".
    reaches_target_on: date | None


def least_squares(points: Sequence[tuple[date, float]]) -> tuple[float, float, date] | None:
    """(slope per day, intercept, origin) of the best straight line, or None if undefined."""
    if len(points) < 2:
        return None
    origin = points[0][0]
    xs = [(on - origin).days for on, _ in points]
    ys = [float(value) for _, value in points]
    n = len(points)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope, mean_y - slope * mean_x, origin


def forecast(
    points: Sequence[tuple[date, float]],
    target: float,
    target_on: date,
    direction: str,
) -> Forecast | None:
    """Project the recent trend. `points` are (date, value), oldest first."""
    recent = list(points)[-RECENT:]
    line = least_squares(recent)
    if line is None:
        return None
    slope, intercept, origin = line
    at_target_date = intercept + slope * (target_on - origin).days
    last_on, last_value = recent[-1][0], float(recent[-1][1])

    wants_up = direction in ("increase", "stay_above")
    already_there = last_value >= target if wants_up else last_value <= target
    if already_there:
        reaches: date | None = last_on
    elif slope == 0 or (slope > 0) != wants_up:
        reaches = None  # flat, or heading the wrong way
    else:
        days = (target - intercept) / slope
        try:
            reaches = origin + timedelta(days=max(0, round(days)))
        except OverflowError:
            reaches = None
        if reaches is not None and reaches < last_on:
            reaches = last_on
    return Forecast(slope, at_target_date, reaches)
