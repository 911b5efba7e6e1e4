"""What a share page may show, and the cache share pages are served from.

A share page is rendered from the plain dicts built here, never from model rows: a
template that is handed a Mission can follow `owner.email` or `ideas`, one handed a
dict cannot. Only public fields are copied: no check-in comments, no people (owners,
authors, contacts), no teams, budgets, stakeholders or ideas, no private missions.
"""

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Prefetch

from metrics import charts
from metrics.forecast import forecast
from metrics.models import CheckIn, Metric, MetricKind
from metrics.progress import Status
from metrics.rollups import (
    GoalProgress,
    MetricProgress,
    MissionProgress,
    figures_of,
    lead_metric,
    mission_progress,
)
from metrics.templatetags.metric_charts import metric_chart
from missions.models import Goal, Milestone, Mission, MissionQuerySet, Visibility
from orgs.models import Organisation

logger = logging.getLogger(__name__)

# Input metrics (hours spent, money spent) are the organisation's own business; they still
# count towards progress, so the public figure is the one the team sees.
PUBLIC_METRIC_KINDS = (MetricKind.OUTCOME, MetricKind.OUTPUT)


def shareable_missions(organisation: Organisation | int) -> MissionQuerySet:
    """The missions the organisation has chosen to show: shareable and not archived."""
    return Mission.objects.live().filter(organisation=organisation, visibility=Visibility.SHAREABLE)


def is_shareable(mission: Mission) -> bool:
    return mission.visibility == Visibility.SHAREABLE and mission.archived_at is None


# --- What a page shows ----------------------------------------------------------------------


def _rollup(progress: float | None, expected: float | None, status: Status) -> dict[str, Any]:
    return {"progress": progress, "expected": expected, "status": status}


def _metric(
    row: MetricProgress, readings: list[CheckIn] | None, today: date, n: int = 0
) -> dict[str, Any]:
    """A metric's public figures, and its chart when `readings` are given."""
    metric = row.metric
    chart = None
    if readings is not None:
        trend = None
        if metric.target_value is not None and metric.target_on is not None and readings:
            trend = forecast(
                [(r.for_date, float(r.value)) for r in readings],
                float(metric.target_value),
                metric.target_on,
                metric.direction,
            )
        # Ids numbered in the page, not the metric's uid: the page names nothing it needn't.
        chart = metric_chart(metric, readings, trend, today) | {"chart_id": f"metric-{n}"}
    return {
        "name": metric.name,
        "kind": metric.kind,
        "kind_label": metric.get_kind_display(),
        "latest": metric.format_value(metric.latest_value) if metric.latest_on else None,
        "latest_on": metric.latest_on,
        "baseline": metric.format_value(metric.baseline_value)
        if metric.baseline_value is not None
        else None,
        "baseline_on": metric.baseline_on,
        # Without a baseline, progress is measured from the first check-in.
        "first": metric.format_value(metric.first_value)
        if metric.baseline_value is None and metric.first_value is not None
        else None,
        "first_on": metric.first_on,
        "target": metric.format_value(metric.target_value)
        if metric.target_value is not None
        else None,
        "target_on": metric.target_on,
        "chart": chart,
        **_rollup(row.rollup.progress, row.rollup.expected, row.rollup.status),
    }


def _public_metrics(rows: Iterable[MetricProgress]) -> list[MetricProgress]:
    return [row for row in rows if row.metric.kind in PUBLIC_METRIC_KINDS]


def _milestone(milestone: Milestone, today: date) -> dict[str, Any]:
    return {
        "title": milestone.title,
        "due_on": milestone.due_on,
        "done_on": milestone.done_on,
        "is_done": milestone.done_on is not None,
        "is_late": milestone.done_on is None and milestone.due_on < today,
    }


def _milestone_summary(milestones: list[dict[str, Any]]) -> dict[str, Any]:
    # Late ones are counted as late, not offered as what comes next.
    upcoming = sorted(
        (m for m in milestones if not m["is_done"] and not m["is_late"]), key=lambda m: m["due_on"]
    )
    return {
        "milestone_count": len(milestones),
        "milestones_done": sum(1 for m in milestones if m["is_done"]),
        "milestones_late": sum(1 for m in milestones if m["is_late"]),
        "next_milestone": upcoming[0] if upcoming else None,
    }


def _mission_fields(mission: Mission) -> dict[str, Any]:
    return {
        "title": mission.title,
        "purpose": mission.purpose,
        "problem": mission.problem,
        "beneficiaries": mission.beneficiaries,
        "end_state": mission.end_state,
        "starts_on": mission.starts_on,
        "ends_on": mission.ends_on,
        # "status" is how it is going (on track...); this is where it is in its life.
        "mission_status": mission.status,
        "mission_status_label": mission.get_status_display(),
    }


def _latest_on(progress: MissionProgress) -> date | None:
    return max((m.metric.latest_on for m in progress.metrics if m.metric.latest_on), default=None)


def _goal(row: GoalProgress, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": row.goal.title,
        "due_on": row.goal.due_on,
        "metrics": metrics,
        **_rollup(row.rollup.progress, row.rollup.expected, row.rollup.status),
    }


def mission_page(mission: Mission, today: date) -> dict[str, Any]:
    """One shareable mission in full: its statement, goals, metrics with charts, milestones.

    Five queries, however many goals, metrics and check-ins it has.
    """
    goals = list(mission.goals.prefetch_related("metrics"))
    loose = list(mission.metrics.filter(goal__isnull=True))
    progress = mission_progress(mission, goals, loose, today)

    shown = _public_metrics(progress.metrics)
    readings: dict[int, list[CheckIn]] = {row.metric.pk: [] for row in shown}
    # Only dates and values leave the check-in table: its comments and authors never load.
    for checkin in (
        CheckIn.objects.filter(metric_id__in=readings, is_current=True)
        .order_by("for_date")
        .only("metric_id", "for_date", "value", "is_current")
    ):
        readings[checkin.metric_id].append(checkin)

    counter = iter(range(1, len(shown) + 1))

    def metrics_of(rows: Iterable[MetricProgress]) -> list[dict[str, Any]]:
        return [
            _metric(row, readings[row.metric.pk], today, next(counter))
            for row in _public_metrics(rows)
        ]

    milestones = [_milestone(m, today) for m in mission.milestones.all()]
    return {
        **_mission_fields(mission),
        **_rollup(progress.rollup.progress, progress.rollup.expected, progress.rollup.status),
        "goals": [_goal(row, metrics_of(row.metrics)) for row in progress.goals],
        "loose_metrics": metrics_of(progress.loose),
        "milestones": milestones,
        **_milestone_summary(milestones),
        "latest_on": _latest_on(progress),
    }


def organisation_page(organisation: Organisation, today: date) -> dict[str, Any]:
    """The organisation's shareable missions at a glance, like a status page.

    Five queries, however many missions, goals, metrics and check-ins there are.
    """
    metrics = Metric.objects.order_by("position", "id")
    missions = list(
        shareable_missions(organisation)
        .prefetch_related(
            Prefetch("goals", queryset=Goal.objects.prefetch_related(Prefetch("metrics", metrics))),
            "milestones",
        )
        # A call of its own: in one call with the goals, django-stubs types `loose` as
        # their common base class (Versioned) rather than as metrics.
        .prefetch_related(
            Prefetch("metrics", queryset=metrics.filter(goal__isnull=True), to_attr="loose")
        )
        .order_by("title")
    )
    judged = [(m, mission_progress(m, m.goals.all(), m.loose, today)) for m in missions]

    # The headline of each mission is its first outcome metric with a reading, with a trend.
    leads = {
        mission.pk: lead_metric(row.metric for row in progress.metrics)
        for mission, progress in judged
    }

    cards = []
    for mission, progress in judged:
        lead = leads[mission.pk]
        milestones = [_milestone(m, today) for m in mission.milestones.all()]
        cards.append(
            {
                **_mission_fields(mission),
                **_rollup(
                    progress.rollup.progress, progress.rollup.expected, progress.rollup.status
                ),
                "goals": [_goal(row, []) for row in progress.goals],
                "lead": (
                    _metric(MetricProgress(lead, figures_of(lead, today)), None, today)
                    if lead
                    else None
                ),
                "trend": charts.sparkline(lead.trend) if lead else None,
                **_milestone_summary(milestones),
                "latest_on": _latest_on(progress),
            }
        )
    counts = {status: 0 for status in Status}
    for card in cards:
        counts[card["status"]] += 1
    return {
        "name": organisation.name,
        "missions": cards,
        "status_counts": [(status, counts[status]) for status in Status if counts[status]],
        "latest_on": max((c["latest_on"] for c in cards if c["latest_on"]), default=None),
    }
