"""The one date vocabulary (core.dates) and its template filters."""

import datetime

import time_machine
from django.template.defaultfilters import date as django_date
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core.templatetags import dates

FORMATS = {
    "j M Y": dates.day_month_year,
    "M Y": dates.month_year,
    "j M": dates.day_month,
    "D j M": dates.weekday_day_month,
}
# Without the year for a day of this year only: another year's day says which year.
WITH_YEAR = {"j M": "j M Y", "D j M": "D j M Y"}


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2200, 12, 31)))
def test_each_filter_matches_django(on):
    this_year = on.year == timezone.localdate().year
    for django_format, fast in FORMATS.items():
        wanted = django_format if this_year else WITH_YEAR.get(django_format, django_format)
        assert fast(on) == django_date(on, wanted)


@time_machine.travel("2026-06-15 12:00Z", tick=False)
def test_a_day_of_another_year_is_written_with_its_year():
    # Issue 15: a check-in for 0001-01-01 read "for Mon 1 Jan".
    assert dates.weekday_day_month(datetime.date(1, 1, 1)) == "Mon 1 Jan 1"
    assert dates.day_month(datetime.date(2025, 12, 30)) == "30 Dec 2025"
    assert dates.day_month(datetime.date(2026, 12, 30)) == "30 Dec"
    assert dates.weekday_day_month(datetime.date(2026, 3, 7)) == "Sat 7 Mar"


def test_every_day_python_holds_is_written():
    for on in (datetime.date.min, datetime.date.max):
        for write in (*FORMATS.values(), dates.weekday_date, dates.day_month_year):
            assert write(on)
    at = datetime.datetime(9999, 12, 31, 23, 0, tzinfo=datetime.UTC)
    with timezone.override("Pacific/Kiritimati"):  # 14 hours ahead: past the last day
        assert dates.moment(at) == "31 Dec 9999, 23:00"


def test_no_date_prints_nothing():
    assert all(fast(None) == "" for fast in FORMATS.values())


def test_a_range_says_each_part_once():
    from core.dates import date_range

    assert date_range(datetime.date(2026, 3, 2), datetime.date(2026, 3, 8)) == "2–8 Mar 2026"
    assert date_range(datetime.date(2026, 2, 3), datetime.date(2026, 3, 14)) == (
        "3 Feb – 14 Mar 2026"
    )
    assert date_range(datetime.date(2025, 12, 20), datetime.date(2026, 1, 9)) == (
        "20 Dec 2025 – 9 Jan 2026"
    )
    assert date_range(datetime.date(2026, 3, 2), datetime.date(2026, 3, 2)) == "2 Mar 2026"


def test_a_moment_is_written_in_the_current_time_zone():
    from django.utils import timezone

    at = datetime.datetime(2026, 3, 7, 23, 30, tzinfo=datetime.UTC)
    with timezone.override("Asia/Tokyo"):
        assert dates.moment(at) == "8 Mar 2026, 08:30"
        assert dates.day_month_year(at) == "8 Mar 2026"
    assert dates.weekday_date(datetime.date(2026, 3, 7)) == "Sat 7 Mar 2026"


def test_a_machine_moment_is_a_valid_html_datetime_in_whole_seconds():
    """A <time datetime> allows at most three digits of a second's fraction; isoformat
    writes six whenever there are microseconds."""
    at = datetime.datetime(2026, 3, 7, 23, 30, 5, 123456, tzinfo=datetime.UTC)
    with timezone.override("Asia/Tokyo"):
        assert dates.machine_moment(at) == "2026-03-08T08:30:05+09:00"
    assert dates.machine_moment(None) == ""
