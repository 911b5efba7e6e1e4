"""Charts, sparklines, progress bars and status badges for metric pages.

{% load metric_charts %}
{% metric_chart metric checkins forecast %}
{% metric_sparkline values %}
{% progress_bar progress expected=expected label="Progress" status=status %}
{% status_badge status %}
{% sparkline_svg spark %}
"""

import math
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html

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


# The badge, bar and sparkline below appear dozens of times on a page, so they are built
# here rather than included as templates: an include per row was most of the mission
# page's and the dashboard's rendering time.

STATUS_ICONS = {Status.ON_TRACK: "✓", Status.AT_RISK: "!", Status.OFF_TRACK: "✕"}


@register.simple_tag
def sparkline_svg(spark: charts.Sparkline | None) -> str:
    """A decorative trend line (callers show the number itself in text); nothing for
    fewer than two values."""
    if spark is None or not spark.points or spark.last is None:
        return ""
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false">'
        '<polyline class="sparkline-line" points="{points}"/>'
        '<circle class="sparkline-last" cx="{x}" cy="{y}" r="2.5"/></svg>',
        w=spark.width,
        h=spark.height,
        points=spark.points,
        x=spark.last[0],
        y=spark.last[1],
    )


@register.simple_tag
def metric_sparkline(values: Sequence[float | Decimal]) -> str:
    return sparkline_svg(charts.sparkline([float(v) for v in values]))


@register.simple_tag
def progress_bar(
    value: float | None,
    expected: float | None = None,
    label: str = "",
    status: Status | None = None,
) -> str:
    """Progress as a bar and as text: value 0–100 (None for no data), an optional tick
    where the straight path says it should be by now, and an optional status to colour
    the fill; the status is shown in words elsewhere, never by this colour alone."""
    fill = (
        format_html('<rect class="progress-fill" y="3" width="{}" height="8"/>', bar_width(value))
        if value is not None
        else ""
    )
    tick = expected_text = ""
    if expected is not None:
        tick = format_html(
            '<line class="progress-expected" x1="{x}" y1="0" x2="{x}" y2="14" '
            'vector-effect="non-scaling-stroke"/>',
            x=bar_width(expected),
        )
        expected_text = format_html(
            ' <span class="progress-expected-text">expected {}</span>', percent(expected)
        )
    return format_html(
        '<span class="progress{status_class}">{label}'
        '<svg class="progress-bar" viewBox="0 0 100 14" preserveAspectRatio="none" '
        'xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false">'
        '<rect class="progress-track" y="3" width="100" height="8"/>{fill}{tick}</svg>'
        '<span class="progress-text">{text}{expected_text}</span></span>',
        status_class=f" progress-{status}" if status else "",
        label=format_html('<span class="progress-label">{}</span>', label) if label else "",
        fill=fill,
        tick=tick,
        text=(
            "No data yet" if value is None else format_html("<strong>{}</strong>", percent(value))
        ),
        expected_text=expected_text,
    )


@register.simple_tag
def status_badge(status: Status | str) -> str:
    """A status in words, with a shape and a colour as extras. Published reports store
    it as its value."""
    status = Status(status)
    return format_html(
        '<span class="status-badge status-{}"><span class="status-icon" aria-hidden="true">'
        "{}</span>{}</span>",
        status.value,
        STATUS_ICONS.get(status, "–"),
        status.label,
    )


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
