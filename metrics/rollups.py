"""Goal and mission progress rolled up from their metrics, from rows already loaded.

Metrics carry their latest reading (metrics.services keeps it current), so a page that
has loaded missions, goals and metrics can judge them all without another query.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from metrics import progress as calc
from metrics.progress import SEVERITY, Status, status

if TYPE_CHECKING:
    from metrics.models import Metric
    from missions.models import Goal


@dataclass(frozen=True, slots=True)
class Rollup:
    progress: float | None
    expected: float | None
    status: Status


NO_DATA = Rollup(None, None, Status.NO_DATA)


def metric_rollup(metric: "Metric", today: date) -> Rollup:
    actual, expected = metric.progress(), metric.expected_progress(today)
    if expected is None:
        return NO_DATA
    return Rollup(actual, expected, metric.status(today))


class Figures(Protocol):
    """The columns a metric is judged by: a Metric's, or a row read without the model."""

    @property
    def direction(self) -> str: ...
    @property
    def baseline_value(self) -> Decimal | None: ...
    @property
    def baseline_on(self) -> date | None: ...
    @property
    def target_value(self) -> Decimal | None: ...
    @property
    def target_on(self) -> date | None: ...
    @property
    def latest_value(self) -> Decimal | None: ...
    @property
    def latest_confidence(self) -> str: ...


def figures_rollup(row: Figures, today: date) -> Rollup:
    """`metric_rollup` of a row read as plain values, without building its Metric: a
    page judging hundreds of metrics spent more on the models than on the judging.

    The same rules as Metric.progress, .expected_progress and .status (tests/metrics/
    test_rollups.py holds them to it).
    """
    baseline_value, baseline_on = row.baseline_value, row.baseline_on
    target_value, target_on = row.target_value, row.target_on
    if baseline_value is None or baseline_on is None or target_value is None or target_on is None:
        return NO_DATA  # not measurable
    expected = calc.expected_progress(baseline_on, target_on, today)
    latest = row.latest_value
    if latest is None:
        return Rollup(None, expected, Status.NO_DATA)
    actual = calc.progress(row.direction, baseline_value, target_value, latest)
    return Rollup(actual, expected, calc.status(actual, expected, row.latest_confidence or None))


def combine(parts: Sequence[tuple[Rollup, int]]) -> Rollup:
    """Weighted progress and expected progress of the measured parts, and their status."""
    # One pass, as weighted_progress would sum each: a dashboard combines a few hundred.
    actual_sum = expected_sum = weight_sum = 0.0
    reported = -1  # the worst status an owner reports, as its severity
    for part, weight in parts:
        actual, expected = part.progress, part.expected
        if actual is None or expected is None:
            continue
        reported = max(reported, SEVERITY.get(part.status, -1))
        if weight > 0:
            actual_sum += actual * weight
            expected_sum += expected * weight
            weight_sum += weight
    if not weight_sum:
        return NO_DATA
    actual, expected = actual_sum / weight_sum, expected_sum / weight_sum
    # A part whose owner reports trouble pulls the whole down at most to at risk; the
    # weighted gap decides off track.
    combined = status(actual, expected)
    if reported > _severity(combined) and combined == Status.ON_TRACK:
        combined = Status.AT_RISK
    return Rollup(actual, expected, combined)


def _severity(value: Status) -> int:
    return SEVERITY.get(value, -1)


@dataclass(frozen=True, slots=True)
class MetricProgress:
    metric: "Metric"
    rollup: Rollup


@dataclass(frozen=True, slots=True)
class GoalProgress:
    goal: "Goal"
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
    goals: Iterable["Goal"], loose_metrics: Iterable["Metric"], today: date
) -> MissionProgress:
    """Every goal and metric of a mission judged, from goals with their metrics prefetched."""
    goal_rows = []
    for goal in goals:
        rows = [MetricProgress(m, metric_rollup(m, today)) for m in goal.metrics.all()]
        goal_rows.append(
            GoalProgress(goal, combine([(r.rollup, r.metric.weight) for r in rows]), rows)
        )
    loose = [MetricProgress(m, metric_rollup(m, today)) for m in loose_metrics]
    return MissionProgress(
        mission_rollup(
            [(g.rollup, g.goal.weight) for g in goal_rows],
            [(r.rollup, r.metric.weight) for r in loose],
        ),
        goal_rows,
        loose,
    )


def mission_rollup(
    goals: Sequence[tuple[Rollup, int]], loose: Sequence[tuple[Rollup, int]]
) -> Rollup:
    """A mission's roll-up from its goals' and from its metrics outside any goal, each as
    (roll-up, weight): those metrics count together, as one goal of weight 1."""
    parts = list(goals)
    if loose:
        parts.append((combine(loose), 1))
    return combine(parts)


# Trend lines show the last year of readings.
TREND_DAYS = 365


def lead_metric(progress: MissionProgress) -> MetricProgress | None:
    """A mission's headline: its first outcome metric that has a reading."""
    return next(
        (m for m in progress.metrics if m.metric.kind == "outcome" and m.metric.latest_on), None
    )


def recent_values(metric_ids: Iterable[int], today: date) -> dict[int, list[float]]:
    """The last year of current readings of each metric, oldest first, in one query."""
    from metrics.models import CheckIn

    history: dict[int, list[float]] = {pk: [] for pk in metric_ids}
    for metric_id, value in (
        CheckIn.objects.filter(
            metric_id__in=history,
            is_current=True,
            for_date__gte=today - timedelta(days=TREND_DAYS),
        )
        .order_by("for_date")
        .values_list("metric_id", "value")
    ):
        history[metric_id].append(float(value))
    return history
