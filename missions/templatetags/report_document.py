"""Drawing a report's document from its snapshot: charts and dates.

{% load report_document %}
{% report_chart chart doc.as_of %}          one drawing per container width (pages)
{% report_chart chart doc.as_of single=True %}  one drawing at print width (the PDF)
{{ milestone.due_on|iso_date }}              12 Mar 2026 ("long": 12 March 2026)
"""

from datetime import date
from typing import Any

from django import template

from missions.models import Report
from missions.reports import MONTH_NAMES, chart_drawings, period_label

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
        return {"chart_id": chart_id, "chart": drawn}
    return {"chart_id": chart_id, "charts": chart_drawings(chart, on)}


@register.filter
def iso_date(value: str | None, style: str = "short") -> str:
    """An ISO date from a snapshot as people read it; "" for none or nonsense."""
    if not value:
        return ""
    try:
        on = date.fromisoformat(str(value)[:10])
    except ValueError:
        return ""
    month = MONTH_NAMES[on.month - 1]
    return f"{on.day} {month if style == 'long' else month[:3]} {on.year}"


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
