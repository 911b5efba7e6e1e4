"""Charts, sparklines, progress bars and status badges for metric pages.

{% load metric_charts %}
{% metric_chart metric checkins forecast %}
{% metric_sparkline values %}
{% progress_bar progress expected=expected label="Progress" %}
{% status_badge status %}
"""

import math
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from metrics import charts
from metrics.forecast import Forecast
from metrics.models import CheckIn, Metric, MetricFormat
from metrics.progress import Status

register = template.Library()

# One drawing per container width (see .chart-frame in waymark.css): scaling a single
# wide drawing down to a phone would shrink its labels to 6px.
CHART_SIZES = (("s", 360, 260), ("m", 600, 280), ("l", 880, 320))


def axis_unit(metric: Metric) -> str:
    """The short caption over the value axis."""
    if metric.format == MetricFormat.PERCENTAGE:
        return "%"
    if metric.format == MetricFormat.CURRENCY:
        return metric.unit or "£"
    if metric.format == MetricFormat.YES_NO:
        return ""
    return metric.unit


@register.inclusion_tag("metrics/_chart.html")
def metric_chart(
    metric: Metric,
    checkins: Iterable[CheckIn],
    forecast: Forecast | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The metric's current check-ins, its target path and its forecast, as an SVG chart.

    `checkins` may include corrected rows: only current ones are drawn.
    """
    points = sorted(
        ((c.for_date, float(c.value)) for c in checkins if c.is_current), key=lambda p: p[0]
    )
    baseline = (
        (metric.baseline_on, float(metric.baseline_value))
        if metric.baseline_on is not None and metric.baseline_value is not None
        else None
    )
    target = (
        (metric.target_on, float(metric.target_value))
        if metric.target_on is not None and metric.target_value is not None
        else None
    )
    on = today or timezone.localdate()
    drawn = [
        (
            size,
            charts.metric_chart(
                points,
                baseline=baseline,
                target=target,
                forecast=forecast,
                today=on,
                width=width,
                height=height,
                name=metric.name,
                unit=axis_unit(metric),
                value_label=metric.format_value,
                yes_no=metric.format == MetricFormat.YES_NO,
            ),
        )
        for size, width, height in CHART_SIZES
    ]
    return {"chart_id": f"chart-{metric.uid}", "charts": drawn}


@register.inclusion_tag("metrics/_sparkline.html")
def metric_sparkline(values: Sequence[float | Decimal]) -> dict[str, Any]:
    return {"spark": charts.sparkline([float(v) for v in values])}


@register.inclusion_tag("metrics/_progress_bar.html")
def progress_bar(
    value: float | None,
    expected: float | None = None,
    label: str = "",
    status: Status | None = None,
) -> dict[str, Any]:
    return {"value": value, "expected": expected, "label": label, "status": status}


@register.inclusion_tag("metrics/_status.html")
def status_badge(status: Status) -> dict[str, Any]:
    return {"status": status}


def _percent_value(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else max(0.0, min(100.0, number))


@register.filter
def bar_width(value: Any) -> str:
    """A 0–100 value as an SVG length: clamped, one decimal, never localised ("37.5")."""
    return f"{_percent_value(value):.1f}".removesuffix(".0")


@register.filter
def percent(value: Any) -> str:
    """A 0–100 value as people read it: "37 %". Just short of 100 reads 99, not 100."""
    number = _percent_value(value)
    whole = math.floor(number) if 99 < number < 100 else round(number)
    return f"{whole}\N{NO-BREAK SPACE}%"
