"""The one date vocabulary (core.dates) and its template filters."""

import datetime

from django.template.defaultfilters import date as django_date
from hypothesis import given
from hypothesis import strategies as st

from core.templatetags import dates

FORMATS = {
    "j M Y": dates.day_month_year,
    "M Y": dates.month_year,
    "j M": dates.day_month,
    "D j M": dates.weekday_day_month,
}


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2200, 12, 31)))
def test_each_filter_matches_django(on):
    for django_format, fast in FORMATS.items():
        assert fast(on) == django_date(on, django_format)


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
