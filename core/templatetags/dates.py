"""The date vocabulary of core.dates as template filters: `{{ day|day_month_year }}`."""

from datetime import date

from django import template

from core import dates

register = template.Library()


@register.filter
def day_month_year(on: date | None) -> str:
    return dates.day_month_year(on) if on else ""


@register.filter
def month_year(on: date | None) -> str:
    return dates.month_year(on) if on else ""


@register.filter
def day_month(on: date | None) -> str:
    return dates.day_month(on) if on else ""


@register.filter
def weekday_day_month(on: date | None) -> str:
    return dates.weekday_day_month(on) if on else ""
