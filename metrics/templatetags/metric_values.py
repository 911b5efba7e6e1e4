from decimal import Decimal

from django import template

from metrics.models import Metric

register = template.Library()


@register.filter
def in_units_of(value: Decimal | float | None, metric: Metric) -> str:
    """`{{ checkin.value|in_units_of:metric }}`: 1,250 tonnes · 42 % · £3,400 · Yes."""
    return metric.format_value(value)
