"""Progress, expected progress and status: pure functions over plain values.

Percentages are floats from 0 to 100. Nothing here touches the database, so the
rules are tested directly (tests/metrics/test_progress.py), with hypothesis for the
invariants.
"""

import math
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

Number = Decimal | float | int


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.ON_TRACK: "On track",
    Status.AT_RISK: "At risk",
    Status.OFF_TRACK: "Off track",
    Status.NO_DATA: "No data yet",
}
# Worse is higher: a person's confidence can move a status right, never left.
SEVERITY = {Status.ON_TRACK: 0, Status.AT_RISK: 1, Status.OFF_TRACK: 2}

# How far behind the straight path, in percentage points, before a metric is at risk or
# off track.
AT_RISK_GAP = 10.0
OFF_TRACK_GAP = 25.0


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def progress(direction: str, baseline: Number, target: Number, current: Number) -> float:
    """How far `current` has moved from `baseline` towards `target`, 0–100.

    "increase" and "decrease" move along the line from baseline to target. "stay_above"
    and "stay_below" are limits: on the right side of the target is 100; on the wrong
    side, progress is how far it has come from the baseline (0 when the baseline was
    already on the right side and it has since slipped across).

    A metric that starts at or past its target (a first check-in taken as the starting
    point can) has nowhere left to move: "increase" then holds it at or above the
    target, as "stay_above" does, and "decrease" at or below it.
    """
    baseline, target, current = float(baseline), float(target), float(current)
    if direction == "increase" and baseline >= target:
        direction = "stay_above"
    elif direction == "decrease" and baseline <= target:
        direction = "stay_below"
    if direction == "stay_above":
        if current >= target:
            return 100.0
        if baseline >= target:
            return 0.0  # it started inside the limit and has slipped out
        return _clamp((current - baseline) / (target - baseline) * 100)
    if direction == "stay_below":
        if current <= target:
            return 100.0
        if baseline <= target:
            return 0.0
        return _clamp((baseline - current) / (baseline - target) * 100)
    if target == baseline:
        return 100.0 if current == target else 0.0
    return _clamp((current - baseline) / (target - baseline) * 100)


def expected_progress(baseline_on: date, target_on: date, on: date) -> float:
    """Where the straight path from baseline (at its date) to target says we should be."""
    if on <= baseline_on:
        return 0.0
    if on >= target_on:
        return 100.0
    return (on - baseline_on).days / (target_on - baseline_on).days * 100


def status(actual: float | None, expected: float, confidence: str | None = None) -> Status:
    """On track, at risk or off track, from the data; confidence can only lower it.

    Reaching the target is never off track: a worried owner can mark it at risk.
    """
    if actual is None:
        return Status.NO_DATA
    gap = expected - actual
    from_data = (
        Status.ON_TRACK
        if gap <= AT_RISK_GAP
        else Status.AT_RISK
        if gap <= OFF_TRACK_GAP
        else Status.OFF_TRACK
    )
    result = from_data
    if confidence in SEVERITY and SEVERITY[Status(confidence)] > SEVERITY[from_data]:
        result = Status(confidence)
    if actual >= 100 and result == Status.OFF_TRACK:
        result = Status.AT_RISK
    return result


# Which way is good news: up for a metric to raise or keep above its target, down for one
# to cut or keep below it (emissions, waste, staff turnover).
LOWER_IS_BETTER = ("decrease", "stay_below")


class Movement(NamedTuple):
    """A move between two readings, judged by the metric's direction, in words as well as
    a tone: a falling line is good news for emissions and bad news for sales."""

    tone: str  # "good", "bad" or "flat": what a colour may add to the words
    words: str  # "Falling: good news, as lower is better"

    @property
    def good(self) -> bool | None:
        return None if self.tone == "flat" else self.tone == "good"


def movement(direction: str, before: Number, after: Number) -> Movement:
    """Whether moving from `before` to `after` is good news for a metric with this
    direction ("increase", "decrease", "stay_above", "stay_below")."""
    before, after = float(before), float(after)
    if math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-12):
        return Movement("flat", "No change")
    rising = after > before
    lower_is_better = direction in LOWER_IS_BETTER
    good = rising != lower_is_better
    way = "Rising" if rising else "Falling"
    news = "good news" if good else "bad news"
    better = "lower is better" if lower_is_better else "higher is better"
    return Movement("good" if good else "bad", f"{way}: {news}, as {better}")
