"""Stakeholder reports: the document a report shows, publishing it and new versions.

A draft's document is built from live data each time it is shown. Publishing builds it
once more and freezes it in `Report.snapshot`: plain JSON (strings, floats, ISO dates),
from which the published report, its PDF and share pages are drawn without reading a
metric, a check-in or a milestone again.

The document (`doc`), as stored:

    schema, title, organisation, version, narrative (Markdown),
    period {start, end, label}, as_of (the date values were judged on),
    published_at (ISO datetime or None), published_on (ISO date or None), published_by,
    summary {missions, on_track, at_risk, off_track, no_data},
    missions [{title, end_state, purpose, mission_status, mission_status_label,
               status, status_label, progress, expected,
               goals [{title, due_on, status, status_label, progress, expected,
                       metrics [{name, kind, kind_label, latest, latest_on, baseline,
                                 target, target_on, status, status_label, progress,
                                 expected}]}],
               other_metrics [same as a goal's metrics: those on no goal],
               charts [{key, name, format, unit, points [[date, value]], baseline,
                        target ([date, value] or None),
                        forecast {slope_per_day, value_at_target_date,
                                  reaches_target_on} or None}],
               milestones [{title, due_on, done_on, state: met | late | due}],
               milestones_due, milestones_met,
               slipped_commitments [{stakeholder, stakeholder_kind, stakeholder_public,
                                     commitment, due_on}],
               comments [{metric, for_date, value, confidence, confidence_label, note,
                          author}]}]
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from core import dates, events
from core.pagecache import cached
from metrics import chart_images, charts
from metrics.forecast import Forecast, forecast
from metrics.models import CheckIn, Confidence, Metric, MetricFormat, MetricKind
from metrics.progress import Status
from metrics.rollups import (
    MetricProgress,
    Rollup,
    metric_progress,
    mission_progress_from_metrics,
    starting_point,
)
from metrics.templatetags.metric_charts import CHART_SIZES, START_LABELS, axis_unit
from missions.markdown import render_markdown
from missions.models import Goal, Mission, MissionQuerySet, Report, StakeholderLink
from orgs import policy
from orgs.models import Membership, Organisation, StakeholderKind, User

# Bumped when the document's shape changes, so old snapshots can still be read.
SCHEMA = 1


class ReportRefused(Exception):
    """The report can't do that as it stands; the message says why and what to do."""

    status_code = 400


class ReportConflict(ReportRefused):
    """The report is not in the state the request expected (published, superseded)."""

    status_code = 409


# ---- Periods ------------------------------------------------------------------------------


def month_period(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def quarter_period(year: int, quarter: int) -> tuple[date, date]:
    return date(year, 3 * quarter - 2, 1), month_period(year, 3 * quarter)[1]


def period_label(start: date, end: date) -> str:
    """March 2026 · Q1 2026 · 2026 · 3–14 Feb 2026 · 3 Feb – 14 Mar 2026."""
    if start.day == 1 and end == month_period(start.year, start.month)[1]:
        return dates.month_in_full(start)
    if start.day == 1 and start.month % 3 == 1:
        quarter = (start.month + 2) // 3
        if end == quarter_period(start.year, quarter)[1]:
            return f"Q{quarter} {start.year}"
    if start == date(start.year, 1, 1) and end == date(start.year, 12, 31):
        return str(start.year)
    return dates.date_range(start, end)


def organisation_today(organisation: Organisation) -> date:
    """The organisation's date now: "late", "due" and "as of" mean its day."""
    return timezone.localdate(timezone=organisation.zone())


def figures_date(report: Report) -> date:
    """The day a report's figures are as of: the end of its period, or today while the
    period runs. A November report published on 4 December shows November's readings."""
    return min(organisation_today(report.organisation), report.period_end)


# ---- Who may do what ----------------------------------------------------------------------


def can_draft_reports(membership: Membership) -> bool:
    """orgs.policy.can_draft_reports, with whether they own a live mission looked up."""
    owns_a_live_mission = (
        policy.can_contribute(membership)
        and Mission.objects.live()
        .filter(organisation_id=membership.organisation_id, owner_id=membership.user_id)
        .exists()
    )
    return policy.can_draft_reports(membership, owns_a_live_mission=owns_a_live_mission)


def editable_missions(membership: Membership) -> MissionQuerySet:
    """The live missions this person may put in a report: all for admins, their own for
    members (a report is edited by admins or by whoever owns every mission in it).

    Never private ones: everyone in the organisation reads a published report, and it
    can be shared outside it."""
    missions = Mission.objects.visible_to(membership).live().filter(policy.publishable_missions())
    if policy.can_manage(membership):
        return missions
    return missions.filter(owner_id=membership.user_id)


# ---- Building the document ----------------------------------------------------------------


def _number(value: float | None, digits: int = 2) -> float | None:
    """A float JSON (and PostgreSQL's jsonb) can store, or None."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _iso(on: date | None) -> str | None:
    return on.isoformat() if on is not None else None


def _judged(rollup: Rollup) -> dict[str, Any]:
    return {
        "status": rollup.status.value,
        "status_label": rollup.status.label,
        "progress": _number(rollup.progress, 1),
        "expected": _number(rollup.expected, 1),
    }


def _metric_row(measured: MetricProgress) -> dict[str, Any]:
    metric = measured.metric
    return {
        "name": metric.name,
        "kind": metric.kind,
        "kind_label": MetricKind(metric.kind).label,
        "latest": metric.format_value(metric.latest_value) if metric.latest_on else "",
        "latest_on": _iso(metric.latest_on),
        "baseline": metric.format_value(metric.baseline_value) if metric.has_baseline else "",
        "target": (
            metric.format_value(metric.target_value) if metric.target_value is not None else ""
        ),
        "target_on": _iso(metric.target_on),
        **_judged(measured.rollup),
    }


def _chart(metric: Metric, checkins: Sequence[CheckIn], key: str) -> dict[str, Any]:
    """What the metric's chart is drawn from: its readings, baseline, target and trend."""
    points = [(c.for_date, float(c.value)) for c in checkins]
    start = starting_point(metric)
    trend = None
    if metric.target_value is not None and metric.target_on is not None:
        trend = forecast(points, float(metric.target_value), metric.target_on, metric.direction)
    return {
        "key": key,
        "name": metric.name,
        "format": metric.format,
        "unit": metric.unit,
        "points": [[on.isoformat(), _number(value, 4)] for on, value in points],
        # Where the target path starts: the baseline, or the first check-in without one.
        "baseline": [start.on.isoformat(), _number(float(start.value), 4)] if start else None,
        "start_label": START_LABELS[start.is_baseline] if start else "",
        "target": (
            [metric.target_on.isoformat(), _number(float(metric.target_value), 4)]
            if metric.target_on is not None and metric.target_value is not None
            else None
        ),
        "forecast": (
            {
                "slope_per_day": _number(trend.slope_per_day, 8),
                "value_at_target_date": _number(trend.value_at_target_date, 4),
                "reaches_target_on": _iso(trend.reaches_target_on),
            }
            if trend is not None and _number(trend.value_at_target_date) is not None
            else None
        ),
    }


def _milestones(mission: Mission, start: date, end: date, as_of: date) -> list[dict[str, Any]]:
    """Milestones due in the period, and those met in it (whenever they were due)."""
    rows = []
    for milestone in mission.milestones.all():
        due_in_period = start <= milestone.due_on <= end
        met_in_period = milestone.done_on is not None and start <= milestone.done_on <= end
        if not (due_in_period or met_in_period):
            continue
        if milestone.done_on is not None and milestone.done_on <= as_of:
            state = "met"
        elif milestone.due_on < as_of:
            state = "late"
        else:
            state = "due"
        rows.append(
            {
                "title": milestone.title,
                "due_on": milestone.due_on.isoformat(),
                "done_on": _iso(milestone.done_on),
                "state": state,
            }
        )
    return sorted(rows, key=lambda row: (row["due_on"], row["title"]))


def _slipped_commitments(mission: Mission, as_of: date) -> list[dict[str, Any]]:
    slipped = []
    for link in mission.stakeholder_links.all():
        due = link.commitment_due_on
        if link.commitment and due is not None and link.commitment_met_on is None and due < as_of:
            slipped.append(
                {
                    "stakeholder": link.stakeholder.name,
                    # Whether it may be named outside the organisation (for_stakeholders).
                    "stakeholder_kind": link.stakeholder.kind,
                    "stakeholder_public": link.stakeholder.is_public,
                    "commitment": link.commitment,
                    "due_on": due.isoformat(),
                }
            )
    return sorted(slipped, key=lambda row: (row["due_on"], row["stakeholder"]))


def _comment(checkin: CheckIn, metric: Metric) -> dict[str, Any]:
    author = checkin.author
    return {
        "metric": metric.name,
        "for_date": checkin.for_date.isoformat(),
        "value": metric.format_value(checkin.value),
        "confidence": checkin.confidence,
        "confidence_label": Confidence(checkin.confidence).label,
        "note": checkin.note,
        # The name people gave, never the address: User.display_name falls back to the
        # email's local part, and a report travels outside the organisation.
        "author": author.name if author is not None else "",
    }


def _mission_section(
    mission: Mission,
    series: Mapping[int, Sequence[CheckIn]],
    noted: Mapping[int, Sequence[CheckIn]],
    start: date,
    end: date,
    as_of: date,
    chart_keys: Iterable[str],
) -> dict[str, Any]:
    goals = list(mission.goals.all())
    loose = [metric for metric in mission.metrics.all() if metric.goal_id is None]
    for metric in [m for goal in goals for m in goal.metrics.all()] + loose:
        _wind_back(metric, as_of)
    progress = mission_progress_from_metrics(mission, goals, loose, as_of)
    keys = iter(chart_keys)
    metrics = {measured.metric.pk: measured.metric for measured in progress.metrics}
    comments = [
        _comment(checkin, metric)
        for metric in metrics.values()
        for checkin in noted.get(metric.pk, ())
        if checkin.note.strip()
    ]
    milestones = _milestones(mission, start, end, as_of)
    return {
        "title": mission.title,
        "end_state": mission.end_state,
        "purpose": mission.purpose,
        "mission_status": mission.status,
        "mission_status_label": mission.get_status_display(),
        **_judged(progress.rollup),
        "goals": [
            {
                "title": row.goal.title,
                "due_on": _iso(row.goal.due_on),
                **_judged(row.rollup),
                "metrics": [_metric_row(measured) for measured in row.metrics],
            }
            for row in progress.goals
        ],
        "other_metrics": [_metric_row(measured) for measured in progress.loose],
        "charts": [
            _chart(measured.metric, series.get(measured.metric.pk, ()), next(keys))
            for measured in progress.metrics
            if measured.metric.kind == MetricKind.OUTCOME
        ],
        "milestones": milestones,
        "milestones_due": sum(
            1 for m in milestones if start <= date.fromisoformat(m["due_on"]) <= end
        ),
        "milestones_met": sum(1 for m in milestones if m["state"] == "met"),
        "slipped_commitments": _slipped_commitments(mission, as_of),
        "comments": sorted(comments, key=lambda row: (row["for_date"], row["metric"])),
    }


def _wind_back(metric: Metric, as_of: date) -> None:
    """The metric as it stood on `as_of`: its latest reading then (read with it by
    report_missions), and the progress of that reading. Never saved."""
    metric.latest_value = metric.as_of_value  # type: ignore[attr-defined]
    metric.latest_on = metric.as_of_on  # type: ignore[attr-defined]
    metric.latest_confidence = metric.as_of_confidence or ""  # type: ignore[attr-defined]
    if metric.first_on is not None and metric.first_on > as_of:
        metric.first_value = metric.first_on = None
    metric.progress = metric_progress(metric)


def report_missions(report: Report, shown: Q | None, as_of: date) -> list[Mission]:
    """The report's missions that `shown` lets through (None: all of them), with everything
    the document needs, in a fixed few queries: each metric with its latest reading up to
    `as_of` (as_of_value, as_of_on, as_of_confidence)."""
    reading = CheckIn.objects.filter(
        metric=OuterRef("pk"), is_current=True, for_date__lte=as_of
    ).order_by("-for_date", "-created_at")
    metrics = Metric.objects.order_by("position", "id").annotate(
        as_of_value=Subquery(reading.values("value")[:1]),
        as_of_on=Subquery(reading.values("for_date")[:1]),
        as_of_confidence=Subquery(reading.values("confidence")[:1]),
    )
    missions = report.missions.all() if shown is None else report.missions.filter(shown)
    return list(
        missions.order_by("title").prefetch_related(
            Prefetch("goals", queryset=Goal.objects.prefetch_related(Prefetch("metrics", metrics))),
            Prefetch("metrics", queryset=metrics),
            "milestones",
            Prefetch(
                "stakeholder_links",
                queryset=StakeholderLink.objects.select_related("stakeholder"),
            ),
        )
    )


def build_document(
    report: Report,
    *,
    as_of: date,
    shown: Q | None,
    published_at: datetime | None = None,
    published_by: User | None = None,
) -> dict[str, Any]:
    """The report's document from live data, judged on `as_of`, of the missions `shown`
    lets through (a filter from orgs.policy; None: all of them)."""
    missions = report_missions(report, shown, as_of)
    current = CheckIn.objects.filter(
        metric__mission__in=missions, is_current=True, for_date__lte=as_of
    )
    # Each chart's readings, as many as a chart draws; the comments of the period.
    series: dict[int, list[CheckIn]] = defaultdict(list)
    for checkin in current.chart_series().only("metric_id", "for_date", "value"):
        series[checkin.metric_id].append(checkin)
    noted: dict[int, list[CheckIn]] = defaultdict(list)
    for checkin in (
        current.filter(for_date__range=(report.period_start, report.period_end))
        .exclude(note="")
        .select_related("author")
        .order_by("for_date", "created_at")
    ):
        noted[checkin.metric_id].append(checkin)
    chart_keys = (f"chart-{n}" for n in range(1, 10_000))
    sections = [
        _mission_section(
            mission, series, noted, report.period_start, report.period_end, as_of, chart_keys
        )
        for mission in missions
    ]
    zone = report.organisation.zone()
    return {
        "schema": SCHEMA,
        "title": report.title,
        "organisation": report.organisation.name,
        "version": report.version,
        "narrative": report.narrative,
        "period": {
            "start": report.period_start.isoformat(),
            "end": report.period_end.isoformat(),
            "label": period_label(report.period_start, report.period_end),
        },
        "as_of": as_of.isoformat(),
        "published_at": published_at.isoformat() if published_at else None,
        "published_on": published_at.astimezone(zone).date().isoformat() if published_at else None,
        "published_by": published_by.name if published_by is not None else "",
        "summary": {
            "missions": len(sections),
            **{
                status.value: sum(1 for s in sections if s["status"] == status.value)
                for status in Status
            },
        },
        "missions": sections,
    }


# ---- Reading a report ---------------------------------------------------------------------


def published_document(report: Report) -> tuple[dict[str, Any], SafeString]:
    """(doc, narrative_html) of a published report, from its snapshot alone.

    For share pages and anything else that shows a published report: include
    "reporting/report_document.html" with these two as `doc` and `narrative_html`.
    """
    if not report.is_published or not isinstance(report.snapshot, dict):
        raise ReportRefused("This report is not published yet.")
    doc = report.snapshot
    return doc, render_markdown(doc.get("narrative", ""))


def draft_document(report: Report, reader: Membership) -> tuple[dict[str, Any], SafeString]:
    """(doc, narrative_html) of a draft: the same document, from live data as of today, of
    the missions the reader may see today."""
    doc = build_document(report, as_of=figures_date(report), shown=policy.visible_missions(reader))
    return doc, render_markdown(doc["narrative"])


def _snapshot_chart(chart: Mapping[str, Any]) -> dict[str, Any]:
    """A snapshot chart as the arguments of metrics.charts.metric_chart, less its size."""
    # Never saved or queried: it only formats values the way the metric's pages do.
    metric = Metric(name=chart["name"], format=chart["format"], unit=chart["unit"])
    trend = chart.get("forecast")
    projection = (
        Forecast(
            slope_per_day=trend["slope_per_day"],
            value_at_target_date=trend["value_at_target_date"],
            reaches_target_on=(
                date.fromisoformat(trend["reaches_target_on"])
                if trend["reaches_target_on"]
                else None
            ),
        )
        if trend
        else None
    )

    def dated(pair: Sequence[Any] | None) -> tuple[date, float] | None:
        return (date.fromisoformat(pair[0]), float(pair[1])) if pair else None

    return {
        "points": [(date.fromisoformat(on), float(value)) for on, value in chart["points"]],
        "baseline": dated(chart.get("baseline")),
        "target": dated(chart.get("target")),
        "forecast": projection,
        "name": chart["name"],
        "unit": axis_unit(metric),
        "value_label": metric.format_value,
        "yes_no": chart["format"] == MetricFormat.YES_NO,
        # Snapshots from before a chart named its start started from the baseline.
        "start_label": chart.get("start_label") or START_LABELS[True],
    }


def chart_drawings(
    chart: Mapping[str, Any], as_of: date, *, sizes: Sequence[tuple[str, int, int]] = CHART_SIZES
) -> list[tuple[str, charts.Chart]]:
    """A snapshot chart drawn at each size, as metrics/_chart.html places it."""
    inputs = _snapshot_chart(chart)
    drawings = []
    for size, width, height in sizes:
        drawn = charts.metric_chart(**inputs, today=as_of, width=width, height=height)
        # A "Today" line would be wrong the day after publication; the report says once,
        # at the top, the date its values are from.
        drawings.append((size, replace(drawn, today=None)))
    return drawings


def chart_description(chart: Mapping[str, Any]) -> str:
    """What a snapshot chart shows, in words: its drawing's description, without drawing."""
    inputs = _snapshot_chart(chart)
    return charts.chart_description(
        inputs["points"],
        target=inputs["target"],
        forecast=inputs["forecast"],
        name=inputs["name"],
        value_label=inputs["value_label"],
        yes_no=inputs["yes_no"],
    )


def chart_is_empty(chart: Mapping[str, Any]) -> bool:
    """Nothing to draw (no reading, no starting point; a target alone is not enough):
    metric_chart makes its short "No check-ins yet" box."""
    return not (chart.get("points") or chart.get("baseline"))


def chart_image(doc: Mapping[str, Any], key: str) -> str | None:
    """The document's chart of that key as a standalone SVG image, or None if it has none."""
    for mission in doc.get("missions", []):
        for chart in mission.get("charts", []):
            if chart.get("key") == key:
                drawings = chart_drawings(chart, date.fromisoformat(doc["as_of"]))
                return chart_images.chart_svg(chart["name"], chart_description(chart), drawings)
    return None


# ---- Publishing and new versions ----------------------------------------------------------


def report_publish(report: Report, user: User) -> Report:
    """Freeze the report: build its snapshot and mark it published, once.

    Raises ReportRefused when it has no missions or holds a private one, ReportConflict
    when it is already published (including by someone else a moment ago). Nothing
    changes then.
    """
    with transaction.atomic():
        current = Report.objects.select_related("organisation", "published_by").get(pk=report.pk)
        if current.is_published:
            raise ReportConflict(already_published(current))
        # Locked until the snapshot is written, so none turns private in between.
        missions = list(
            Mission.objects.select_for_update(of=("self",))
            .filter(reports=current)
            .only("title", "visibility", "owner_id")
            .order_by("title")
        )
        if not missions:
            raise ReportRefused(
                "Choose at least one mission before publishing: a report with no missions "
                "has nothing to show."
            )
        private = [m.title for m in missions if not policy.can_publish_mission(m)]
        if private:
            raise ReportRefused(_private_missions_refusal(private))
        now = timezone.now()
        snapshot = build_document(
            current,
            as_of=figures_date(current),
            # The same rule again where the snapshot is drawn: it can never hold one.
            shown=policy.publishable_missions(),
            published_at=now,
            published_by=user,
        )
        # The guard against a second publication, even a simultaneous one: only the
        # request that finds the row unpublished gets to write the snapshot.
        claimed = Report.objects.filter(pk=current.pk, published_at__isnull=True).update(
            published_at=now, published_by=user, snapshot=snapshot, updated_at=now
        )
        if not claimed:
            raise ReportConflict(
                "Someone published this report a moment ago. It is shown as published."
            )
        report.refresh_from_db()
        # An UPDATE sends no post_save, and what listens for changed reports (the share
        # pages' cache) must still hear of a publication.
        post_save.send(
            sender=Report,
            instance=report,
            created=False,
            update_fields=frozenset({"published_at", "published_by", "snapshot", "updated_at"}),
            raw=False,
            using=router.db_for_write(Report),
        )
        events.event_emit(report.organisation_id, events.REPORT_PUBLISHED, _published(report))
    return report


def _published(report: Report) -> dict[str, Any]:
    """What the report.published event says (core.events)."""
    url = reverse("reporting:report_detail", args=[report.organisation.slug, report.uid])
    return {
        "report": {
            "uid": str(report.uid),
            "title": report.title,
            "period_start": report.period_start.isoformat(),
            "period_end": report.period_end.isoformat(),
            "published_at": report.published_at.isoformat() if report.published_at else None,
            "missions": [m.slug for m in report.missions.order_by("title")],
            "url": settings.SITE_URL + url,
        }
    }


def _private_missions_refusal(titles: Sequence[str]) -> str:
    named = ", ".join(f"“{title}”" for title in titles)
    which = "mission " + named + " is" if len(titles) == 1 else "missions " + named + " are"
    return (
        f"This report can’t be published: the {which} private. Everyone in the "
        "organisation reads a published report, and it can be shared outside it. Take "
        "the private missions out of the report, or make them visible to the organisation, "
        "then publish."
    )


def already_published(report: Report) -> str:
    """Why a published report can't be changed, and what to do instead."""
    assert report.published_at is not None
    zone = report.organisation.zone()
    when = dates.day_month_year(report.published_at.astimezone(zone).date())
    who = f" by {report.published_by.display_name}" if report.published_by else ""
    return (
        f"This report was published on {when}{who} and can’t be changed. "
        "To update it, make a new version."
    )


def report_supersede(report: Report, user: User) -> Report:
    """A new draft copying a published report, to be published in its place.

    The earlier version stays as it was, listed as superseded once the new one is out.
    """
    with transaction.atomic():
        current = Report.objects.select_related("organisation", "published_by").get(pk=report.pk)
        if not current.is_published:
            raise ReportConflict(
                "This report is still a draft: edit it instead of making a new version."
            )
        existing = Report.objects.filter(supersedes=current).first()
        if existing is not None:
            raise ReportConflict(_already_superseded(existing))
        try:
            with transaction.atomic():
                draft = Report.objects.create(
                    organisation=current.organisation,
                    title=current.title,
                    period_start=current.period_start,
                    period_end=current.period_end,
                    narrative=current.narrative,
                    author=user,
                    version=current.version + 1,
                    supersedes=current,
                )
        except IntegrityError as error:
            # Someone made the new version at the same moment (supersedes is one-to-one).
            existing = Report.objects.get(supersedes=current)
            raise ReportConflict(_already_superseded(existing)) from error
        draft.missions.set(current.missions.all())
    return draft


def _already_superseded(newer: Report) -> str:
    state = "published" if newer.is_published else "a draft"
    return f"Version {newer.version} of this report already exists ({state}). Open it instead."


# ---- What a share link of a published report shows ---------------------------------------


def for_stakeholders(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A report's document as it leaves the organisation (a share link, the stakeholder
    PDF, the preview of either): without the check-in comments and people's names, as
    staff write those notes for colleagues, not for the readers of a link; and a
    stakeholder beside a slipped commitment is named only if marked public.
    """
    return {
        **doc,
        "published_by": "",
        "missions": [
            {
                **m,
                "comments": [],
                "slipped_commitments": [
                    _unnamed_unless_public(c) for c in m.get("slipped_commitments", [])
                ],
            }
            for m in doc.get("missions", [])
        ],
    }


def _unnamed_unless_public(commitment: Mapping[str, Any]) -> dict[str, Any]:
    # Snapshots from before the flag say nothing of it: unnamed, as the flag's default.
    if commitment.get("stakeholder_public"):
        return dict(commitment)
    kind = commitment.get("stakeholder_kind", "")
    label = StakeholderKind(kind).label.lower() if kind in StakeholderKind.values else ""
    article = "An" if label[:1] in ("a", "e", "i", "o", "u") else "A"
    return {**commitment, "stakeholder": f"{article} {label}" if label else "A stakeholder"}


def report_page(report: Report) -> dict[str, Any]:
    """A published report as it was frozen, as a share link shows it: its snapshot, never
    live data, for stakeholders (`for_stakeholders`)."""
    doc, narrative_html = published_document(report)
    return {
        "org_name": doc.get("organisation", ""),
        "doc": for_stakeholders(doc),
        "narrative_html": narrative_html,
        # Beside the page, at the link's own address (share_chart): relative, so the page
        # cached for one link serves every link to the report, and names no token.
        "charts_at": "charts/",
    }


class _NoSuchChart(Exception):
    pass


def report_chart(report: Report, key: str) -> str | None:
    """A published report's chart of that key as an SVG image (None if it has none), for
    its page inside the organisation and its share links alike.

    Drawn from the snapshot once, then served from the cache: like the report, it never
    changes, so the moment it was frozen in the key is all the invalidation it needs.
    """
    if not report.is_published:
        return None
    assert report.published_at is not None

    def draw() -> str:
        snapshot = report.snapshot  # deferred where reports are looked up: read only now
        svg = chart_image(snapshot, key) if isinstance(snapshot, dict) else None
        if svg is None:
            # Not cached: only what exists is kept.
            raise _NoSuchChart
        return svg

    try:
        return cached(f"report:chart:{report.uid}:{report.published_at.timestamp()}:{key}", draw)
    except _NoSuchChart:
        return None
