"""Charts, sparklines, progress bars and status badges: for pages, share pages, the PDF
and (the progress bar) emails.

{% load metric_charts %}
{% metric_chart metric checkins forecast %}
{% metric_sparkline values %}
{% progress_bar progress expected=expected label="Progress" status=status %}
{% progress_bar progress status=status for_email=True %}
{% status_badge status %}
{% sparkline_svg spark %}
{{ progress|percent }}
"""

import math
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from metrics import charts
from metrics.forecast import Forecast
from metrics.models import Metric, MetricFormat
from metrics.progress import Status
from metrics.rollups import starting_point

register = template.Library()

# How a chart's marker names where the target path starts (rollups.starting_point).
START_LABELS = {True: "Baseline", False: "First check-in"}

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


class Reading(Protocol):
    """A current check-in's date and value: a CheckIn, or a row read without it."""

    @property
    def for_date(self) -> date: ...
    @property
    def value(self) -> Decimal: ...


@register.inclusion_tag("metrics/_chart.html")
def metric_chart(
    metric: Metric,
    readings: Iterable[Reading],
    forecast: Forecast | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The metric's current readings, its target path and its forecast, as an SVG chart."""
    points = sorted(((r.for_date, float(r.value)) for r in readings), key=lambda p: p[0])
    start = starting_point(metric)
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
                baseline=(start.on, float(start.value)) if start else None,
                start_label=START_LABELS[start.is_baseline] if start else "",
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
# here with format_html rather than included as templates.

STATUS_ICONS = {Status.ON_TRACK: "✓", Status.AT_RISK: "!", Status.OFF_TRACK: "✕"}

# waymark.css's colours, written onto the progress bar too: the site's stylesheet reaches
# neither an email nor the inside of an SVG that WeasyPrint draws into a PDF. On a page
# the stylesheet's rules win over these attributes.
TRACK_COLOUR = "#dde2ea"
INK_COLOUR = "#1b2430"
NO_STATUS_COLOUR = "#1f5fbf"
STATUS_COLOURS = {
    Status.ON_TRACK: "#1d7a46",
    Status.AT_RISK: "#8a5a00",
    Status.OFF_TRACK: "#b42318",
}


@register.simple_tag
def sparkline_svg(spark: charts.Sparkline | None, tone: str = "") -> SafeString | str:
    """A decorative trend line (callers show the number itself in text); nothing for
    fewer than two values. `tone` ("good", "bad", "flat": progress.movement's) colours
    it, beside the words that say the same (callers write them)."""
    if spark is None or not spark.points or spark.last is None:
        return ""
    # Numbers alone, written by metrics.charts, and a tone of three: nothing to escape.
    w, h, (x, y) = spark.width, spark.height, spark.last
    toned = f" sparkline-{tone}" if tone in ("good", "bad", "flat") else ""
    return mark_safe(  # noqa: S308
        f'<svg class="sparkline{toned}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false">'
        f'<polyline class="sparkline-line" points="{spark.points}"/>'
        f'<circle class="sparkline-last" cx="{x}" cy="{y}" r="2.5"/></svg>'
    )


@register.simple_tag
def metric_sparkline(values: Sequence[float | Decimal]) -> SafeString | str:
    return sparkline_svg(charts.sparkline([float(v) for v in values]))


@register.simple_tag
def progress_bar(
    value: float | None,
    expected: float | None = None,
    label: str = "",
    status: Status | str | None = None,
    for_email: bool = False,
) -> SafeString:
    """Progress as a bar and as text, the one drawing of it on pages, share pages, the
    PDF and emails: value 0–100 (None for no data), an optional tick where the straight
    path says it should be by now, an optional label before it, and an optional status
    to colour the fill. The status is shown in words elsewhere, never by this colour
    alone; an email, which has no badge beside its bar, writes it after the figure.

    `for_email`: drawn with table cells, as email clients draw no SVG.
    """
    status = Status(status) if status else None
    colour = STATUS_COLOURS.get(status, NO_STATUS_COLOUR) if status else NO_STATUS_COLOUR
    if for_email:
        return _email_bar(value, status, colour)
    # Only the label can hold text from elsewhere, so only the label is escaped; the
    # rest is numbers formatted here, and constants.
    label_html = format_html('<span class="progress-label">{}</span>', label) if label else ""
    fill = tick = expected_text = ""
    if value is not None:
        fill = (
            f'<rect class="progress-fill" y="3" width="{bar_width(value)}" height="8" '
            f'fill="{colour}"/>'
        )
    if expected is not None:
        x = bar_width(expected)
        tick = (
            f'<line class="progress-expected" x1="{x}" y1="0" x2="{x}" y2="14" '
            f'stroke="{INK_COLOUR}" stroke-width="2" vector-effect="non-scaling-stroke"/>'
        )
        expected_text = f' <span class="progress-expected-text">expected {percent(expected)}</span>'
    text = "No data yet" if value is None else f"<strong>{percent(value)}</strong>"
    return mark_safe(  # noqa: S308
        f'<span class="progress{f" progress-{status.value}" if status else ""}">{label_html}'
        '<svg class="progress-bar" viewBox="0 0 100 14" preserveAspectRatio="none" '
        'xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false">'
        f'<rect class="progress-track" y="3" width="100" height="8" fill="{TRACK_COLOUR}"/>'
        f'{fill}{tick}</svg><span class="progress-text">{text}{expected_text}</span></span>'
    )


def _email_bar(value: float | None, status: Status | None, colour: str) -> SafeString:
    filled = _whole_percent(value) if value is not None else 0
    cells = format_html_join(
        "",
        '<td width="{0}%" height="8" style="width:{0}%;height:8px;{1}font-size:0;line-height:0;">'
        "&nbsp;</td>",
        (
            (width, paint)
            for width, paint in (
                (filled, f"background:{colour};border-radius:4px;"),
                (100 - filled, ""),
            )
            if width
        ),
    )
    if value is None:
        text = "No data yet"
    elif status is None or status is Status.NO_DATA:
        text = format_html("<strong>{}</strong>", percent(value))
    else:
        text = format_html("<strong>{}</strong> · {}", percent(value), status.label)
    return format_html(
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>'
        '<td width="200" style="width:200px;padding:0;vertical-align:middle;">'
        '<table role="presentation" width="200" cellpadding="0" cellspacing="0" border="0" '
        'style="width:200px;border-collapse:collapse;background:{track};border-radius:4px;">'
        "<tr>{cells}</tr></table></td>"
        '<td style="padding:0 0 0 10px;vertical-align:middle;white-space:nowrap;'
        'font-size:13px;color:{ink};">{text}</td></tr></table>',
        track=TRACK_COLOUR,
        cells=cells,
        ink=INK_COLOUR,
        text=text,
    )


@register.simple_tag
def status_badge(status: Status | str) -> SafeString:
    """A status in words, with a shape and a colour as extras. Published reports store
    it as its value."""
    return STATUS_BADGES[Status(status)]


STATUS_BADGES = {
    status: format_html(
        '<span class="status-badge status-{}"><span class="status-icon" aria-hidden="true">'
        "{}</span>{}</span>",
        status.value,
        STATUS_ICONS.get(status, "–"),
        status.label,
    )
    for status in Status
}


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


def _whole_percent(value: Any) -> int:
    """Rounded to the nearest whole number, except that just short of 100 reads 99:
    nothing reads as done before it is."""
    number = _percent_value(value)
    return math.floor(number) if 99 < number < 100 else round(number)


@register.filter
def percent(value: Any) -> str:
    """A 0–100 value as people read it: "37 %"."""
    return f"{_whole_percent(value)}\N{NO-BREAK SPACE}%"
