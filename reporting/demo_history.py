"""A year of check-in history for the demo organisation, so its charts have a story."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

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
    """Readings from each metric's baseline to today. Idempotent: skips metrics with any."""
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
        rows, on = [], metric.baseline_on + step
        while on <= today:
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
            on += step
        CheckIn.objects.bulk_create(rows)
        metric_refresh_latest(metric)
        if len(rows) > 3 and metric.owner:
            # One honest correction, so the history shows how they look.
            earlier = CheckIn.objects.get(metric=metric, for_date=rows[-3].for_date)
            checkin_correct(
                earlier,
                value=earlier.value + Decimal("1"),
                author=metric.owner,
                confidence=earlier.confidence,
                note="Corrected: the first figure missed one site.",
            )


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
