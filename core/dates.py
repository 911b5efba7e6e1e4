"""The one date vocabulary: how every page, email, chart and document writes a date.

Waymark is written in English, so these write the text directly rather than through
Django's localised formatter: `day_month_year(date(2026, 3, 7))` reads "7 Mar 2026".
"""

from datetime import date

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_month_year(on: date) -> str:
    """7 Mar 2026"""
    return f"{on.day} {MONTHS[on.month - 1]} {on.year}"


def month_year(on: date) -> str:
    """Mar 2026"""
    return f"{MONTHS[on.month - 1]} {on.year}"


def day_month(on: date) -> str:
    """7 Mar"""
    return f"{on.day} {MONTHS[on.month - 1]}"


def weekday_day_month(on: date) -> str:
    """Sat 7 Mar"""
    return f"{WEEKDAYS[on.weekday()]} {day_month(on)}"
