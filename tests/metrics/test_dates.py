"""The fast date filters print exactly what Django's date filter prints in English."""

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
