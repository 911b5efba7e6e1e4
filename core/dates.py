"""The one date vocabulary: how every page, email, chart and document writes a date, and
which days a date of each meaning may be.

Waymark is written in English, so these write the text directly rather than through
Django's localised formatter: `day_month_year(date(2026, 3, 7))` reads "7 Mar 2026".
A datetime is written as the day it is in the current time zone (the organisation's,
inside its pages).

What a form accepts is narrower than what is drawn: forms keep each date to its range
(`PLAN`, `past`, `ahead`), while everything that draws a date copes with any day Python
holds, 1 Jan 1 to 31 Dec 9999, since old rows and imports may hold one.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
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
    """7 Mar, a day of this year (in the current time zone); 7 Mar 2025 for another year's."""
    if on.year != timezone.localdate().year:
        return day_month_year(on)
    return f"{on.day} {MONTHS[on.month - 1]}"


def weekday_day_month(on: date) -> str:
    """Sat 7 Mar, a day of this year; Fri 7 Mar 2025 for another year's."""
    return f"{WEEKDAYS[on.weekday()]} {day_month(on)}"


def weekday_date(on: date) -> str:
    """Sat 7 Mar 2026"""
    return f"{WEEKDAYS[on.weekday()]} {day_month_year(on)}"


def moment(at: datetime) -> str:
    """7 Mar 2026, 14:02, in the current time zone"""
    local = _local(at)
    return f"{day_month_year(local)}, {local:%H:%M}"


def machine_moment(at: datetime) -> str:
    """2026-03-07T14:02:09+00:00: for a <time datetime="...">, which allows at most three
    digits of a second's fraction (isoformat writes six), so whole seconds."""
    return _local(at).isoformat(timespec="seconds")


def local_day(on: date | datetime) -> date:
    """The day `on` is, in the current time zone for a datetime."""
    if isinstance(on, datetime):
        return _local(on).date()
    return on


def _local(at: datetime) -> datetime:
    """`at` in the current time zone; as stored, at the very ends of the calendar, where
    moving it by the zone's offset would pass the last day Python holds."""
    if not timezone.is_aware(at):
        return at
    try:
        return timezone.localtime(at)
    except OverflowError:
        return at


def days_after(on: date, days: int) -> date:
    """The day `days` after `on`, held to the days Python has (31 Dec 9999 at the latest)."""
    try:
        return on + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


# ---- Which days a date may be ------------------------------------------------------------

# The widest range a person may give any date: wide enough for any plan or history a
# business keeps, narrow enough that every sum over dates stays inside the calendar.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


@dataclass(frozen=True, slots=True)
class DateRange:
    """The days, both included, that a date of one meaning may be."""

    first: date
    last: date
    today: date | None = None  # the day that is "today" in the refusal, if an end is today

    def __contains__(self, on: object) -> bool:
        return isinstance(on, date) and self.first <= on <= self.last

    def _written(self, on: date) -> str:
        return "today" if on == self.today else day_month_year(on)

    @property
    def refusal(self) -> str:
        """Choose a date between 1 Jan 2000 and 31 Dec 2100."""
        return f"Choose a date between {self._written(self.first)} and {self._written(self.last)}."

    def check(self, on: date) -> None:
        if on not in self:
            raise ValidationError(self.refusal, code="date_out_of_range")


# A day a plan can name: a mission's start and end, a goal's or milestone's due date, a
# metric's target date, a report's period, a supplier's commitment.
PLAN = DateRange(EARLIEST, LATEST)


def past(today: date, since: date = EARLIEST) -> DateRange:
    """A day something has happened on (a check-in, a baseline measured, a commitment
    met): not after today, nor before `since`."""
    return DateRange(max(since, EARLIEST), today, today)


def ahead(today: date) -> DateRange:
    """A day still to come: the last day a share link works, the first check-in due."""
    return DateRange(today, LATEST, today)


def keep_within(form: forms.BaseForm, ranges: Mapping[str, DateRange]) -> None:
    """Keep each named date field of `form` inside its range: the browser's date picker
    offers only those days, and a day outside is refused with a message naming the range.

    The day a field already holds is kept (an older row may hold one from before a range
    was narrowed, or from an import): editing something else must not be refused for it.
    """
    for name, allowed in ranges.items():
        if name in form.fields:
            held = offer_only(form, name, allowed)
            form.fields[name].validators.append(_RangeCheck(allowed, held))


def offer_only(form: forms.BaseForm, name: str, allowed: DateRange) -> date | None:
    """Have the browser's date picker of that field offer the days in `allowed`, and the
    day it holds already; returns that day, if any."""
    field = form.fields[name]
    held = form.get_initial_for_field(field, name)
    held = held if isinstance(held, date) else None
    first = min(allowed.first, held) if held else allowed.first
    last = max(allowed.last, held) if held else allowed.last
    field.widget.attrs.update(min=first.isoformat(), max=last.isoformat())
    return held


@dataclass(frozen=True, slots=True)
class _RangeCheck:
    allowed: DateRange
    held: date | None

    def __call__(self, on: Any) -> None:
        if isinstance(on, date) and on != self.held:
            self.allowed.check(on)
