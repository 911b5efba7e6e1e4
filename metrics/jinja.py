"""The Jinja2 engine for the page parts drawn often and in many rows: the dashboard's
cards and lists (metrics/jinja2/metrics/dashboard_*.html) and the mission page's goal,
metric and milestone rows (missions/jinja2/missions/mission_rows.html). (My check-ins' rows
are forms, written by the form renderer's Jinja2: orgs.forms.FormRenderer.)

Through Django's template language those rows were most of their pages' rendering. The
engine autoescapes as Django's does, and gives the templates the same helpers the Django
templates use; tests compare each template's output with the Django markup it replaced.
"""

import functools
from decimal import ROUND_HALF_UP, Decimal

from django.template.backends.jinja2 import Jinja2
from django.template.defaultfilters import truncatechars
from jinja2 import StrictUndefined

from core.templatetags.dates import day_month, day_month_year, month_year
from core.templatetags.paths import path_for
from metrics.models import MetricKind
from metrics.templatetags.metric_charts import bar_width, percent, progress_bar, status_badge


def whole_number(value: float) -> str:
    """`{{ value|floatformat:"0" }}`, as Django writes it: rounded half up, never "-0"."""
    return str(int(Decimal(repr(value)).quantize(Decimal(1), ROUND_HALF_UP)))


@functools.cache
def engine() -> Jinja2:
    parts = Jinja2(
        {"NAME": "parts", "DIRS": [], "APP_DIRS": True, "OPTIONS": {"undefined": StrictUndefined}}
    )
    parts.env.globals.update(
        path_for=path_for,
        progress_bar=progress_bar,
        # Four statuses, four badges.
        status_badge=functools.cache(status_badge),
        kind_labels=dict(MetricKind.choices),
    )
    parts.env.filters.update(
        bar_width=bar_width,
        percent=percent,
        day_month=day_month,
        day_month_year=day_month_year,
        month_year=month_year,
        whole_number=whole_number,
        truncatechars=truncatechars,
    )
    return parts
