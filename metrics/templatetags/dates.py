"""Dates as the pages print them row after row, without Django's localised formatter.

`{{ day|date:"j M Y" }}` looks up the active language and its formats on every call,
which was a fifth of the mission page's rendering. Waymark is written in English, so
these give the same text directly: `{{ day|day_month_year }}` reads "7 Mar 2026".
"""

from datetime import date

from django import template

from metrics import charts

register = template.Library()
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@register.filter
def day_month_year(on: date | None) -> str:
    """ "j M Y": 7 Mar 2026."""
    return charts.day_month_year(on) if on else ""


@register.filter
def month_year(on: date | None) -> str:
    """ "M Y": Mar 2026."""
    return charts.month_year(on) if on else ""


@register.filter
def day_month(on: date | None) -> str:
    """ "j M": 7 Mar."""
    return f"{on.day} {charts.MONTHS[on.month - 1]}" if on else ""


@register.filter
def weekday_day_month(on: date | None) -> str:
    """ "D j M": Sat 7 Mar."""
    return f"{WEEKDAYS[on.weekday()]} {day_month(on)}" if on else ""
