"""Roll-ups: a goal's figures from its metrics, a mission's from its goals, and how any of
them is judged on a day.

Every metric, goal and mission stores its figures (metrics.figures keeps them current):
a metric its `progress`, beside its baseline, target and latest confidence; a goal and a
mission their `progress`, `expected_path` and `reported_confidence`. `figures_of(row,
today)` judges any of them from those columns alone, without loading what they roll up.

The rules, in one place:
- a metric is measured from its starting point: its baseline, or, until it has one, its
  first check-in (`starting_point`);
- a goal's progress is the weighted mean of its measured metrics' progress (a metric
  with a reading, a starting point and a target); a mission's, of its measured goals',
  its metrics outside any goal counting together as one more goal of weight 1;
- its expected progress on a day is the same weighted mean of its metrics' expected
  progress, so `expected_path` lists each metric's straight path from its starting point
  to its target with its share of the whole: [[start ISO, target_on ISO, share], ...];
- its status is `progress.status` of the two, where a part whose owner reports trouble
  (its latest confidence: at risk or off track) pulls an on-track whole down to at
  risk, never further: how far the whole is behind its path decides off track.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from metrics import progress as calc
from metrics.progress import SEVERITY, Status
from missions.models import Goal, Mission

if TYPE_CHECKING:
    from metrics.models import Metric

# [[baseline_on ISO, target_on ISO, share], ...], as stored in a JSONField.
ExpectedPath = list[list[Any]]


@dataclass(frozen=True, slots=True)
class Rollup:
    """How a metric, goal or mission is doing on a day: what pages show."""

    progress: float | None
    expected: float | None
    status: Status


NO_DATA = Rollup(None, None, Status.NO_DATA)


@dataclass(frozen=True, slots=True)
class Figures:
    """What a goal or mission stores: enough to judge it on any day."""

    progress: float | None = None
    expected_path: ExpectedPath = field(default_factory=list)
    reported_confidence: str = ""


class Targeted(Protocol):
    """A metric's baseline, first check-in and target: a Metric's columns, or a row read
    without it."""

    @property
    def baseline_value(self) -> Decimal | None: ...
    @property
    def baseline_on(self) -> date | None: ...
    @property
    def first_value(self) -> Decimal | None: ...
    @property
    def first_on(self) -> date | None: ...
    @property
    def target_value(self) -> Decimal | None: ...
    @property
    def target_on(self) -> date | None: ...


class Reading(Targeted, Protocol):
    """What a metric's progress is computed from."""

    @property
    def direction(self) -> str: ...
    @property
    def latest_value(self) -> Decimal | None: ...


class MetricFigures(Targeted, Protocol):
    """What a metric is judged by: its stored progress, its path and its confidence."""

    @property
    def progress(self) -> float | None: ...
    @property
    def latest_confidence(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Start:
    """Where a metric's progress is measured from."""

    on: date
    value: Decimal
    is_baseline: bool  # False: its first check-in, as it has no baseline


def starting_point(metric: Targeted) -> Start | None:
    """Its baseline; without one, its first check-in; before that, nothing."""
    if metric.baseline_value is not None and metric.baseline_on is not None:
        return Start(metric.baseline_on, metric.baseline_value, is_baseline=True)
    if metric.first_value is not None and metric.first_on is not None:
        return Start(metric.first_on, metric.first_value, is_baseline=False)
    return None


def measurable(metric: Targeted) -> bool:
    """A starting point and a target, both dated: enough to say how it is going."""
    return (
        starting_point(metric) is not None
        and metric.target_value is not None
        and metric.target_on is not None
    )


def metric_progress(metric: Reading) -> float | None:
    """The progress of its latest reading: what a metric stores as `progress`."""
    start = starting_point(metric)
    if start is None or metric.target_on is None or metric.latest_value is None:
        return None
    if metric.target_value is None:
        return None
    return calc.progress(metric.direction, start.value, metric.target_value, metric.latest_value)


def metric_figures(metric: MetricFigures) -> Figures:
    """A metric as one part of the goal or mission it counts towards."""
    start = starting_point(metric)
    if start is None or metric.target_value is None or metric.target_on is None:
        return Figures()
    path = [[start.on.isoformat(), metric.target_on.isoformat(), 1.0]]
    return Figures(metric.progress, path, metric.latest_confidence)


def _severity(confidence: str) -> int:
    return SEVERITY[Status(confidence)] if confidence in SEVERITY else -1


def rolled_up(parts: Iterable[tuple[Figures, int]]) -> Figures:
    """The figures of a whole from its parts', each with its weight: the measured parts
    (with progress and a path) count, by weight; none measured, nothing is."""
    measured = [
        (part, weight)
        for part, weight in parts
        if part.progress is not None and part.expected_path and weight > 0
    ]
    total = sum(weight for _, weight in measured)
    if not total:
        return Figures()
    progress = 0.0
    shares: dict[tuple[str, str], float] = {}
    reported = ""
    for part, weight in measured:
        assert part.progress is not None
        progress += part.progress * weight
        for baseline_on, target_on, share in part.expected_path:
            key = (baseline_on, target_on)
            shares[key] = shares.get(key, 0.0) + share * weight / total
        if _severity(part.reported_confidence) > _severity(reported):
            reported = part.reported_confidence
    # Metrics on the same dates share one entry: the path stays as short as the dates.
    path = [
        [baseline_on, target_on, share]
        for (baseline_on, target_on), share in sorted(shares.items())
    ]
    return Figures(progress / total, path, reported)


def mission_figures(
    goals: Iterable[tuple[Figures, int]], loose: Sequence[tuple[Figures, int]]
) -> Figures:
    """A mission's figures from its goals' and from its metrics outside any goal, each as
    (figures, weight): those metrics count together, as one goal of weight 1."""
    parts = list(goals)
    if loose:
        parts.append((rolled_up(loose), 1))
    return rolled_up(parts)


def expected_on(path: ExpectedPath, on: date) -> float | None:
    """Where the path says a whole should be on `on`; None without a path."""
    if not path:
        return None
    expected = sum(
        share * calc.expected_progress(date.fromisoformat(start), date.fromisoformat(end), on)
        for start, end, share in path
    )
    # The shares add up to 1 but for rounding: 100 % stays 100 %.
    return max(0.0, min(100.0, expected))


def whole_confidence(reported: str) -> str | None:
    """The confidence a whole is judged with, from the worst its parts' owners report:
    trouble pulls it to at risk at most."""
    return Status.AT_RISK if _severity(reported) > SEVERITY[Status.ON_TRACK] else None


def _judged(progress: float | None, expected: float | None, confidence: str | None) -> Rollup:
    if expected is None:
        return NO_DATA  # not measurable
    return Rollup(progress, expected, calc.status(progress, expected, confidence))


def figures_of(row: "MetricFigures | Goal | Mission | Figures", on: date) -> Rollup:
    """How a metric, goal or mission (or figures rolled up from rows) is doing on `on`,
    from its stored figures alone."""
    if isinstance(row, Goal | Mission | Figures):
        return _judged(
            row.progress,
            expected_on(row.expected_path, on),
            whole_confidence(row.reported_confidence),
        )
    start = starting_point(row)
    if start is None or row.target_value is None or row.target_on is None:
        return NO_DATA
    expected = calc.expected_progress(start.on, row.target_on, on)
    return _judged(row.progress, expected, row.latest_confidence or None)


# ---- A mission's rows, judged -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricProgress:
    metric: "Metric"
    rollup: Rollup


@dataclass(frozen=True, slots=True)
class GoalProgress:
    goal: Goal
    rollup: Rollup
    metrics: list[MetricProgress]


@dataclass(frozen=True, slots=True)
class MissionProgress:
    rollup: Rollup
    goals: list[GoalProgress]
    loose: list[MetricProgress]

    @property
    def metrics(self) -> list[MetricProgress]:
        return [m for g in self.goals for m in g.metrics] + self.loose


def mission_progress(
    mission: Mission, goals: Iterable[Goal], loose_metrics: Iterable["Metric"], today: date
) -> MissionProgress:
    """The mission, each goal (with its metrics prefetched) and each metric judged."""
    return MissionProgress(
        figures_of(mission, today),
        [
            GoalProgress(
                goal,
                figures_of(goal, today),
                [MetricProgress(m, figures_of(m, today)) for m in goal.metrics.all()],
            )
            for goal in goals
        ],
        [MetricProgress(m, figures_of(m, today)) for m in loose_metrics],
    )


def mission_progress_from_metrics(
    mission: Mission, goals: Sequence[Goal], loose_metrics: Sequence["Metric"], on: date
) -> MissionProgress:
    """The mission judged on `on` from its metrics' `progress` as they are given, not from
    the figures stored on it and its goals: for a report whose metrics were wound back
    to their readings of its period (reporting.reports), by the same rules the stored
    figures are kept by."""
    goal_figures = [
        rolled_up((metric_figures(m), m.weight) for m in goal.metrics.all()) for goal in goals
    ]
    whole = mission_figures(
        [(figures, goal.weight) for figures, goal in zip(goal_figures, goals, strict=True)],
        [(metric_figures(m), m.weight) for m in loose_metrics],
    )
    return MissionProgress(
        figures_of(whole, on),
        [
            GoalProgress(
                goal,
                figures_of(figures, on),
                [MetricProgress(m, figures_of(m, on)) for m in goal.metrics.all()],
            )
            for figures, goal in zip(goal_figures, goals, strict=True)
        ],
        [MetricProgress(m, figures_of(m, on)) for m in loose_metrics],
    )


class Headline(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def latest_on(self) -> date | None: ...


def lead_metric[M: Headline](metrics: Iterable[M]) -> M | None:
    """A mission's headline: its first outcome metric that has a reading."""
    return next((m for m in metrics if m.kind == "outcome" and m.latest_on), None)


# Trend lines show the year of readings up to the latest.
TREND_DAYS = 365
