"""The date vocabulary of core.dates as template filters: `{{ day|day_month_year }}`.

Each takes a date or a datetime (written as its day in the current time zone); an
empty value writes nothing.
"""

from collections.abc import Callable
from datetime import date, datetime

from django import template

from core import dates

register = template.Library()


def _filter(write: Callable[[date], str]) -> Callable[[date | datetime | None], str]:
    def written(on: date | datetime | None) -> str:
        return write(dates.local_day(on)) if on else ""

    return register.filter(write.__name__, written)


day_month_year = _filter(dates.day_month_year)
month_year = _filter(dates.month_year)
day_month = _filter(dates.day_month)
weekday_day_month = _filter(dates.weekday_day_month)
weekday_date = _filter(dates.weekday_date)


@register.filter
def moment(at: datetime | None) -> str:
    return dates.moment(at) if at else ""


@register.filter
def machine_moment(at: datetime | None) -> str:
    return dates.machine_moment(at) if at else ""
