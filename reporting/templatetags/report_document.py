"""Drawing a report's document from its snapshot: charts and dates.

{% load report_document %}
{% report_chart chart doc.as_of %}          one drawing per container width (pages)
{% report_chart chart doc.as_of single=True %}  one drawing at print width (the PDF)
{% report_chart_image chart "charts/" %}    a published report's chart, as an image
{{ milestone.due_on|iso_date }}              12 Mar 2026 ("long": 12 March 2026)
{% figures_guide %}                          what the percentages mean, in words
"""

from datetime import date
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core import dates
from metrics import charts
from metrics.chart_images import STYLE
from metrics.progress import AT_RISK_GAP, OFF_TRACK_GAP
from metrics.templatetags.metric_charts import CHART_SIZES
from missions.models import Report
from reporting.reports import (
    chart_description,
    chart_drawings,
    chart_is_empty,
    period_label,
)

register = template.Library()

# The PDF has no container queries to choose a drawing: one, the width of a column of
# the two the charts sit in on A4 or Letter (about 85 mm, 320 CSS px), so its labels
# print at about 9pt.
PRINT_CHART_SIZE = ("print", 360, 250)


@register.inclusion_tag("metrics/_chart.html")
def report_chart(chart: dict[str, Any], as_of: str, single: bool = False) -> dict[str, Any]:
    on = date.fromisoformat(as_of)
    chart_id = f"report-{chart['key']}"
    if single:
        ((_, drawn),) = chart_drawings(chart, on, sizes=[PRINT_CHART_SIZE])
        # WeasyPrint draws an inline SVG with its own <style> alone: the chart image's.
        style = mark_safe(STYLE)  # noqa: S308 -- a constant of metrics.chart_images
        return {"chart_id": chart_id, "chart": drawn, "print_style": style}
    return {"chart_id": chart_id, "charts": chart_drawings(chart, on)}


@register.simple_tag
def report_chart_image(chart: dict[str, Any], charts_at: str) -> SafeString:
    """A published report's chart as an image at `charts_at` + its key + ".svg", loaded
    when it scrolls near, its words as the text alternative (the heading above names it).
    The page stays small, and the images are drawn and cached one by one
    (reporting.reports.report_chart).

    The stylesheet sets the box's shape for the drawing the image will show, so nothing
    moves when it arrives; width and height here are the smallest drawing's.
    """
    _, width, height = CHART_SIZES[0]
    empty = chart_is_empty(chart)
    return format_html(
        '<figure class="chart-frame"><img class="chart-image{}" src="{}{}.svg" '
        'width="{}" height="{}" alt="{}" loading="lazy" decoding="async"></figure>',
        " chart-image-empty" if empty else "",
        charts_at,
        chart["key"],
        width,
        charts.EMPTY_HEIGHT if empty else height,
        chart_description(chart),
    )


@register.filter
def iso_date(value: str | None, style: str = "short") -> str:
    """An ISO date from a snapshot as people read it; "" for none or nonsense."""
    if not value:
        return ""
    try:
        on = date.fromisoformat(str(value)[:10])
    except ValueError:
        return ""
    return dates.day_month_year_in_full(on) if style == "long" else dates.day_month_year(on)


@register.filter
def period_dates(period: dict[str, str]) -> str:
    """The dates beside a named period (Q3 2026: "1 Jul 2026 to 30 Sep 2026"); nothing
    when the label already gives them (3 Feb – 14 Mar 2026)."""
    label = period.get("label", "")
    if label[:1].isdigit() and not label.isdigit():
        return ""
    return f"{iso_date(period.get('start'))} to {iso_date(period.get('end'))}"


@register.filter
def report_period(report: Report) -> str:
    """A report's period as people say it: March 2026, Q1 2026, 3 Feb – 14 Mar 2026."""
    return period_label(report.period_start, report.period_end)


@register.inclusion_tag("reporting/_figures_guide.html")
def figures_guide() -> dict[str, Any]:
    """What the percentages mean, with the gaps that decide a status (metrics.progress)."""
    return {"at_risk_gap": f"{AT_RISK_GAP:g}", "off_track_gap": f"{OFF_TRACK_GAP:g}"}
