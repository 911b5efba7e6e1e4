"""The one date vocabulary: how every page, email, chart and document writes a date.

Waymark is written in English, so these write the text directly rather than through
Django's localised formatter: `day_month_year(date(2026, 3, 7))` reads "7 Mar 2026".
A datetime is written as the day it is in the current time zone (the organisation's,
inside its pages).
"""

from datetime import date, datetime

from django.utils import timezone

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_month_year(on: date) -> str:
    """7 Mar 2026"""
    return f"{on.day} {MONTHS[on.month - 1]} {on.year}"


def month_year(on: date) -> str:
    """Mar 2026"""
    return f"{MONTHS[on.month - 1]} {on.year}"


def month_in_full(on: date) -> str:
    """March 2026: a report's month."""
    return f"{MONTH_NAMES[on.month - 1]} {on.year}"


def day_month_year_in_full(on: date) -> str:
    """7 March 2026: a date a document states once."""
    return f"{on.day} {MONTH_NAMES[on.month - 1]} {on.year}"


def date_range(first: date, last: date) -> str:
    """1–7 Mar 2026 · 3 Feb – 14 Mar 2026 · 20 Dec 2025 – 9 Jan 2026, both days included."""
    if first == last:
        return day_month_year(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{day_month_year(last)}"
    if first.year == last.year:
        return f"{day_month(first)} – {day_month_year(last)}"
    return f"{day_month_year(first)} – {day_month_year(last)}"


def day_month(on: date) -> str:
    """7 Mar"""
    return f"{on.day} {MONTHS[on.month - 1]}"


def weekday_day_month(on: date) -> str:
    """Sat 7 Mar"""
    return f"{WEEKDAYS[on.weekday()]} {day_month(on)}"


def weekday_date(on: date) -> str:
    """Sat 7 Mar 2026"""
    return f"{WEEKDAYS[on.weekday()]} {day_month_year(on)}"


def moment(at: datetime) -> str:
    """7 Mar 2026, 14:02, in the current time zone"""
    local = timezone.localtime(at) if timezone.is_aware(at) else at
    return f"{day_month_year(local)}, {local:%H:%M}"


def local_day(on: date | datetime) -> date:
    """The day `on` is, in the current time zone for a datetime."""
    if isinstance(on, datetime):
        return (timezone.localtime(on) if timezone.is_aware(on) else on).date()
    return on
