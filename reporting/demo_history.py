"""A year of check-in history for the demo organisation, so its charts have a story."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from metrics.models import CADENCE_DAYS, Cadence, CheckIn, Confidence, Metric, MetricFormat
from metrics.services import checkin_correct, metric_refresh_latest
from missions.models import MissionStatus
from orgs.models import Organisation

NOTES = [
    "Steady month.",
    "Better than we hoped: the new supplier started early.",
    "Slower over the holidays.",
    "Measured from the meter readings this time.",
    "One-off dip while the van was off the road.",
    "",
    "",
    "",
]


@transaction.atomic
def build_demo_history(org: Organisation, today: date) -> None:
    """Readings from each metric's baseline up to last week, each recorded on its own day.
    Idempotent: skips metrics with any.

    Last week is the one a digest sent this week covers (what the digest preview shows):
    most metrics have their latest reading in it, the slowest have missed theirs and are
    overdue, and nothing was recorded all at once today.
    """
    week_first, week_last = digest_week(org, today)
    zone = org.zone()
    metrics = Metric.objects.filter(
        mission__organisation=org, mission__status=MissionStatus.ACTIVE
    ).select_related("mission", "owner")
    for metric in metrics:
        if not metric.is_measurable or metric.checkins.exists():
            continue
        # The same story every time the demo loads.
        rng = random.Random(f"{org.slug}/{metric.name}")  # noqa: S311 -- demo data, not secrets
        # Some metrics run ahead of the path, some behind: a dashboard worth reading.
        pace = rng.choice([1.25, 1.0, 0.85, 0.6, 0.35])
        step = timedelta(days=CADENCE_DAYS[Cadence(metric.cadence)])
        assert metric.baseline_on and metric.target_on
        assert metric.baseline_value is not None and metric.target_value is not None
        baseline, target = float(metric.baseline_value), float(metric.target_value)
        span = (metric.target_on - metric.baseline_on).days
        latest = week_first + timedelta(days=rng.randrange((week_last - week_first).days + 1))
        if pace < 0.5:
            latest -= step  # the one behind has missed its last check-in too
        days = []
        on = latest
        while on > metric.baseline_on:
            days.append(on)
            on -= step
        rows = []
        for on in reversed(days):
            share = min(1.0, pace * (on - metric.baseline_on).days / span)
            value = baseline + (target - baseline) * share
            value += (target - baseline) * rng.uniform(-0.04, 0.04)
            rows.append(
                CheckIn(
                    metric=metric,
                    value=_shape(metric, value),
                    for_date=on,
                    author=metric.owner,
                    confidence=_confidence(pace, rng),
                    note=rng.choice(NOTES),
                )
            )
        CheckIn.objects.bulk_create(rows)
        # Recorded on the day each is for, as its owner would have (the field is set to
        # now on insert).
        for row in rows:
            row.created_at = recorded_on(row.for_date, zone)
        CheckIn.objects.bulk_update(rows, ["created_at"])
        metric_refresh_latest(metric)
        if len(rows) > 3 and metric.owner:
            # One honest correction, so the history shows how they look.
            earlier = CheckIn.objects.get(metric=metric, for_date=rows[-3].for_date)
            correction = checkin_correct(
                earlier,
                value=earlier.value + Decimal("1"),
                author=metric.owner,
                confidence=earlier.confidence,
                note="Corrected: the first figure missed one site.",
            )
            corrected_on = recorded_on(rows[-2].for_date, zone)
            CheckIn.objects.filter(pk=correction.pk).update(created_at=corrected_on)


def digest_week(org: Organisation, today: date) -> tuple[date, date]:
    """The first and last days of last week, in the organisation's weeks: what a digest
    sent this week on its first day covers."""
    this_week = today - timedelta(days=(today.weekday() - org.week_starts_on) % 7)
    return this_week - timedelta(days=7), this_week - timedelta(days=1)


def recorded_on(day: date, zone: ZoneInfo) -> datetime:
    """Mid-morning of `day` where the organisation is, but never later than now."""
    return min(datetime.combine(day, time(10), tzinfo=zone), timezone.now())


def _shape(metric: Metric, value: float) -> Decimal:
    if metric.format == MetricFormat.YES_NO:
        return Decimal(1 if value >= 0.5 else 0)
    if metric.format == MetricFormat.PERCENTAGE:
        value = max(0.0, min(100.0, value))
    return Decimal(f"{value:.1f}")


def _confidence(pace: float, rng: random.Random) -> str:
    if pace < 0.5:
        return rng.choice([Confidence.AT_RISK, Confidence.OFF_TRACK])
    if pace < 0.9:
        return rng.choice([Confidence.ON_TRACK, Confidence.AT_RISK])
    return Confidence.ON_TRACK
