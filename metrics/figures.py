"""The figures stored on missions, goals and metrics, computed from their rows.

`figures_refresh` recomputes the figures of some missions, with their goals' and
metrics', by the rules of metrics.rollups, and writes those that differ:
metrics.signals calls it in the transaction of every change that moves them. Each
metric's trend (its readings of the year up to the latest) is kept with its latest
reading by metrics.services, from `metric_trends`. And `figures_recompute` runs both over
every mission, for the recompute_figures command and the nightly sweep, which report what
had drifted.
"""

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, models, transaction
from django.utils import timezone

from metrics.models import CheckIn, Metric, MetricKind
from metrics.rollups import (
    TREND_DAYS,
    Figures,
    metric_figures,
    metric_progress,
    mission_figures,
    rolled_up,
)
from missions.models import (
    Alignment,
    AlignmentRole,
    Goal,
    Mission,
    StakeholderLink,
    count_per_mission,
)
from orgs.models import Organisation

ROLLED_UP = ("progress", "expected_path", "reported_confidence")
HEALTH_COUNTS = (
    "goal_count",
    "goals_without_metric",
    "metric_count",
    "outcome_metric_count",
    "metrics_without_baseline",
    "lead_team_count",
    "stakeholder_count",
)
STORED: dict[type[models.Model], tuple[str, ...]] = {
    Metric: ("progress",),
    Goal: ROLLED_UP,
    Mission: (*ROLLED_UP, *HEALTH_COUNTS),
}

# Missions recomputed together by figures_recompute: a few queries for each batch.
BATCH = 200


class MetricRow(NamedTuple):
    """A metric's columns its figures come from, and those it stores."""

    id: int
    mission_id: int
    goal_id: int | None
    kind: str
    weight: int
    direction: str
    baseline_value: Decimal | None
    baseline_on: date | None
    first_value: Decimal | None
    first_on: date | None
    target_value: Decimal | None
    target_on: date | None
    latest_value: Decimal | None
    latest_confidence: str
    progress: float | None


class GoalRow(NamedTuple):
    id: int
    mission_id: int
    weight: int
    progress: float | None
    expected_path: list[list[Any]]
    reported_confidence: str


@dataclass(frozen=True, slots=True)
class Drift:
    """A stored figure that differed from what its rows give."""

    model: str
    pk: int
    field: str
    stored: Any
    computed: Any

    def __str__(self) -> str:
        return (
            f"{self.model} {self.pk} {self.field}: "
            f"stored {self.stored!r}, computed {self.computed!r}"
        )


@dataclass
class Refreshed:
    """What a refresh found: the figures that differed (and were written, unless it was
    only a check), and every row's figures as computed."""

    drift: list[Drift] = field(default_factory=list)
    figures: dict[tuple[type[models.Model], int], dict[str, Any]] = field(default_factory=dict)


def figures_refresh(
    mission_ids: Collection[int], *, goal_ids: Collection[int] = (), write: bool = True
) -> Refreshed:
    """Recompute the figures of these missions and of their goals and metrics; write
    those that differ (unless `write` is False).

    The missions' rows are locked first, so two changes on one mission refresh one after
    the other, each reading what the other committed. A change to a goal or a metric
    names its goal in `goal_ids`: locked before the mission, in the order the change
    itself took them, so that a goal edit and a check-in under that goal queue rather
    than deadlock.
    """
    refreshed = Refreshed()
    if not mission_ids:
        return refreshed
    # No savepoint: a refresh that fails must undo the change that called for it too.
    with transaction.atomic(savepoint=False):
        stored = _read(mission_ids, goal_ids)
        computed = _computed(*stored)
        for (model, pk), (before, after) in computed.items():
            refreshed.figures[model, pk] = after
            refreshed.drift += [
                Drift(model._meta.model_name or "", pk, name, before[name], value)
                for name, value in after.items()
                if not _same(before[name], value)
            ]
        if write and refreshed.drift:
            _write(refreshed)
    return refreshed


def figures_recompute(
    *, organisation: Organisation | None = None, write: bool = True
) -> list[Drift]:
    """Refresh every mission's figures (an organisation's, if given), in batches; return
    what had drifted."""
    missions = Mission.objects.order_by("pk")
    if organisation is not None:
        missions = missions.filter(organisation=organisation)
    ids = list(missions.values_list("pk", flat=True))
    drift = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        drift += figures_refresh(batch, write=write).drift
        drift += _trends_refresh(batch, write=write)
    return drift


def metric_trends(latest_on: dict[int, date | None]) -> dict[int, list[float]]:
    """The trend of each metric, given the date of its latest reading: its current
    readings of the TREND_DAYS up to then, oldest first, as floats (all a trend line
    draws). One query however many metrics."""
    since = {pk: on - timedelta(days=TREND_DAYS) for pk, on in latest_on.items() if on is not None}
    trends: dict[int, list[float]] = {pk: [] for pk in latest_on}
    if not since:
        return trends
    readings = (
        CheckIn.objects.filter(
            metric_id__in=since, is_current=True, for_date__gte=min(since.values())
        )
        .order_by("metric_id", "for_date", "created_at")
        .values_list("metric_id", "for_date", "value")
    )
    for pk, on, value in readings:
        if on >= since[pk]:
            trends[pk].append(float(value))
    return trends


def _trends_refresh(mission_ids: Collection[int], *, write: bool) -> list[Drift]:
    stored = {
        pk: (trend, latest_on)
        for pk, trend, latest_on in Metric.objects.filter(mission_id__in=mission_ids)
        .order_by("pk")
        .values_list("pk", "trend", "latest_on")
    }
    computed = metric_trends({pk: latest_on for pk, (_, latest_on) in stored.items()})
    drift = [
        Drift("metric", pk, "trend", stored[pk][0], trend)
        for pk, trend in computed.items()
        if not _same(stored[pk][0], trend)
    ]
    if write and drift:
        Metric.objects.bulk_update(
            [Metric(pk=found.pk, trend=found.computed) for found in drift],
            ["trend"],
            batch_size=BATCH,
        )
    return drift


Stored = tuple[list[dict[str, Any]], list[GoalRow], list[MetricRow]]


def _read(mission_ids: Collection[int], goal_ids: Collection[int]) -> Stored:
    locking = connection.features.has_select_for_update
    if locking and goal_ids:
        list(Goal.objects.select_for_update().filter(pk__in=goal_ids).order_by("pk").values("pk"))
    missions = Mission.objects.filter(pk__in=mission_ids).order_by("pk")
    if locking:
        missions = missions.select_for_update()
    lead_teams = count_per_mission(Alignment.objects.filter(role=AlignmentRole.LEAD))
    stakeholders = count_per_mission(StakeholderLink.objects.all())
    mission_rows = list(
        missions.values("pk", *STORED[Mission]).annotate(
            leading_now=lead_teams, linked_now=stakeholders
        )
    )
    goals = [
        GoalRow(*row)
        for row in Goal.objects.filter(mission_id__in=mission_ids)
        .order_by("position", "pk")
        .values_list(*GoalRow._fields)
    ]
    metrics = [
        MetricRow(*row)
        for row in Metric.objects.filter(mission_id__in=mission_ids)
        .order_by("position", "pk")
        .values_list(*MetricRow._fields)
    ]
    return mission_rows, goals, metrics


Computed = dict[tuple[type[models.Model], int], tuple[dict[str, Any], dict[str, Any]]]


def _computed(
    missions: list[dict[str, Any]], goals: list[GoalRow], metrics: list[MetricRow]
) -> Computed:
    """Each row's figures as stored and as its rows give them."""
    found: Computed = {}
    of_goal: dict[int, list[MetricRow]] = defaultdict(list)
    loose: dict[int, list[MetricRow]] = defaultdict(list)
    for row in metrics:
        metric = row._replace(progress=metric_progress(row))
        found[Metric, row.id] = ({"progress": row.progress}, {"progress": metric.progress})
        (of_goal[row.goal_id] if row.goal_id is not None else loose[row.mission_id]).append(metric)
    goals_of: dict[int, list[GoalRow]] = defaultdict(list)
    rolled: dict[int, Figures] = {}
    for goal in goals:
        goals_of[goal.mission_id].append(goal)
        rolled[goal.id] = rolled_up((metric_figures(m), m.weight) for m in of_goal[goal.id])
        found[Goal, goal.id] = (
            {name: getattr(goal, name) for name in ROLLED_UP},
            _rolled_up(rolled[goal.id]),
        )
    for mission in missions:
        pk, its_goals = mission["pk"], goals_of[mission["pk"]]
        figures = mission_figures(
            [(rolled[goal.id], goal.weight) for goal in its_goals],
            [(metric_figures(m), m.weight) for m in loose[pk]],
        )
        every = [m for goal in its_goals for m in of_goal[goal.id]] + loose[pk]
        counts = {
            "goal_count": len(its_goals),
            "goals_without_metric": sum(1 for goal in its_goals if not of_goal[goal.id]),
            "metric_count": len(every),
            "outcome_metric_count": sum(1 for m in every if m.kind == MetricKind.OUTCOME),
            "metrics_without_baseline": sum(
                1 for m in every if m.baseline_value is None or m.baseline_on is None
            ),
            "lead_team_count": mission["leading_now"],
            "stakeholder_count": mission["linked_now"],
        }
        found[Mission, pk] = (
            {name: mission[name] for name in STORED[Mission]},
            _rolled_up(figures) | counts,
        )
    return found


def _rolled_up(figures: Figures) -> dict[str, Any]:
    return {
        "progress": figures.progress,
        "expected_path": figures.expected_path,
        "reported_confidence": figures.reported_confidence,
    }


def _same(stored: Any, computed: Any) -> bool:
    """Equal, floats to within rounding: a sum taken in another order is no drift."""
    if isinstance(stored, float) and isinstance(computed, float):
        return math.isclose(stored, computed, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(stored, list) and isinstance(computed, list):
        return len(stored) == len(computed) and all(map(_same, stored, computed))
    return bool(stored == computed)


def _write(refreshed: Refreshed) -> None:
    changed: dict[type[models.Model], dict[int, set[str]]] = defaultdict(dict)
    by_name = {model._meta.model_name: model for model in STORED}
    for drift in refreshed.drift:
        changed[by_name[drift.model]].setdefault(drift.pk, set()).add(drift.field)
    now = timezone.now()
    for model, rows in changed.items():
        fields = sorted(set().union(*rows.values()))
        # Figures that moved are a change to the row, for the API's updated_since.
        stamp = {"updated_at": now} if _has_field(model, "updated_at") else {}
        model._default_manager.bulk_update(
            [model(pk=pk, **_only(refreshed.figures[model, pk], fields), **stamp) for pk in rows],
            [*fields, *stamp],
            batch_size=BATCH,
        )


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def _only(values: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {name: values[name] for name in names}
