"""The date vocabulary of core.dates as template filters: `{{ day|day_month_year }}`.

Each takes a date or a datetime (written as its day in the current time zone); an
empty value writes nothing.
"""

from datetime import date, datetime

from django import template

from core import dates

register = template.Library()

When = date | datetime | None


@register.filter
def day_month_year(on: When) -> str:
    return dates.day_month_year(dates.local_day(on)) if on else ""


@register.filter
def month_year(on: When) -> str:
    return dates.month_year(dates.local_day(on)) if on else ""


@register.filter
def day_month(on: When) -> str:
    return dates.day_month(dates.local_day(on)) if on else ""


@register.filter
def weekday_day_month(on: When) -> str:
    return dates.weekday_day_month(dates.local_day(on)) if on else ""


@register.filter
def weekday_date(on: When) -> str:
    return dates.weekday_date(dates.local_day(on)) if on else ""


@register.filter
def moment(at: datetime | None) -> str:
    return dates.moment(at) if at else ""
