import dataclasses
import operator
import re
from datetime import date
from decimal import Decimal

import pytest

from metrics.catalogue import (
    GOVERNMENT,
    SME,
    TEMPLATES,
    MetricSuggestion,
    MilestoneSuggestion,
    MissionTemplate,
    by_category,
    get_template,
)
from metrics.models import Cadence, Direction, Metric, MetricFormat, MetricKind
from missions.models import Goal, Milestone, Mission

METRICS = [
    pytest.param(template, metric, id=f"{template.key}: {metric.name}")
    for template in TEMPLATES
    for goal in template.goals
    for metric in goal.metrics
]


def field_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def test_keys_are_unique():
    keys = [template.key for template in TEMPLATES]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_key_is_slug_safe_and_fits_the_mission_field(template):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", template.key)
    assert len(template.key) <= field_length(Mission, "template_key")


def test_the_library_has_five_government_and_at_least_eight_sme_missions():
    categories = [template.category for template in TEMPLATES]
    assert categories.count(GOVERNMENT) == 5
    assert categories.count(SME) >= 8
    assert set(categories) == {GOVERNMENT, SME}


def test_by_category_puts_government_first_and_holds_every_template_once():
    sections = by_category()
    assert [category for category, _ in sections] == [GOVERNMENT, SME]
    listed = [template for _, templates in sections for template in templates]
    assert sorted(t.key for t in listed) == sorted(t.key for t in TEMPLATES)


def test_get_template_finds_by_key_and_returns_none_for_unknown_keys():
    assert get_template("uk-growth") is TEMPLATES[0]
    assert get_template("net-zero-operations").title == "Net zero operations"
    assert get_template("no-such-mission") is None
    assert get_template("") is None


def test_templates_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TEMPLATES[0].title = "Changed"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_template_reads_as_a_complete_mission(template: MissionTemplate):
    for text in (template.title, template.summary, template.purpose, template.problem):
        assert text.strip() == text and text
    assert template.beneficiaries
    assert template.summary.endswith(".")
    assert template.end_state.startswith("By ")
    assert len(template.title) <= field_length(Mission, "title")
    assert len(template.end_state) <= field_length(Mission, "end_state")
    assert 1 <= template.horizon_years <= 10


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_template_has_two_to_four_weighted_goals(template: MissionTemplate):
    assert 2 <= len(template.goals) <= 4
    for goal in template.goals:
        assert 1 <= goal.weight <= 100
        assert 1 <= len(goal.metrics) <= 3
        assert len(goal.title) <= field_length(Goal, "title")
    assert sum(goal.weight for goal in template.goals) == 100


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_template_is_judged_by_outcomes(template: MissionTemplate):
    goals_with_an_outcome = [
        goal
        for goal in template.goals
        if any(metric.kind == MetricKind.OUTCOME for metric in goal.metrics)
    ]
    assert goals_with_an_outcome
    assert len(goals_with_an_outcome) * 2 > len(template.goals)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_milestones_fall_inside_the_horizon_in_order(template: MissionTemplate):
    months = [milestone.months_from_start for milestone in template.milestones]
    assert 2 <= len(months) <= 4
    assert months == sorted(months)
    assert all(0 < month < template.horizon_years * 12 for month in months)
    assert all(len(m.title) <= field_length(Milestone, "title") for m in template.milestones)


@pytest.mark.parametrize(("template", "metric"), METRICS)
def test_metric_uses_known_choice_values(template, metric: MetricSuggestion):
    assert metric.kind in MetricKind.values
    assert metric.format in MetricFormat.values
    assert metric.direction in Direction.values
    assert metric.cadence in Cadence.values
    assert len(metric.name) <= field_length(Metric, "name")
    assert len(metric.unit) <= field_length(Metric, "unit")


# The way a target lies from its baseline, by direction; a limit's may lie either way.
TARGET_LIES = {Direction.INCREASE: operator.gt, Direction.DECREASE: operator.lt}
# What a format asks of a suggestion's figures and of its unit; a number asks nothing more.
FIGURE_FITS = {
    MetricFormat.PERCENTAGE: lambda value: 0 <= value <= 100,
    MetricFormat.YES_NO: lambda value: value in (0, 1),
}
UNITS = {MetricFormat.PERCENTAGE: "%", MetricFormat.CURRENCY: "£"}


def test_the_rules_below_meet_every_direction_and_format_they_check():
    suggestions = [param.values[1] for param in METRICS]
    moving = {metric.direction for metric in suggestions if metric.baseline is not None}
    assert moving >= TARGET_LIES.keys()
    assert {metric.format for metric in suggestions} >= FIGURE_FITS.keys() | UNITS.keys()


@pytest.mark.parametrize(("template", "metric"), METRICS)
def test_metric_target_moves_the_way_its_direction_says(template, metric: MetricSuggestion):
    assert metric.target is not None
    lies = TARGET_LIES.get(metric.direction)
    assert metric.baseline is None or lies is None or lies(metric.target, metric.baseline)


@pytest.mark.parametrize(("template", "metric"), METRICS)
def test_metric_values_fit_their_format(template, metric: MetricSuggestion):
    values = [value for value in (metric.baseline, metric.target) if value is not None]
    fits = FIGURE_FITS.get(metric.format, lambda value: True)
    assert all(isinstance(value, Decimal) and fits(value) for value in values)
    assert metric.unit == UNITS.get(metric.format, metric.unit)


def test_ends_on_adds_the_horizon_and_survives_a_leap_day():
    template = get_template("uk-growth")
    assert template.horizon_years == 4
    assert template.ends_on(date(2026, 11, 27)) == date(2030, 11, 27)
    three_years = dataclasses.replace(template, horizon_years=3)
    assert three_years.ends_on(date(2028, 2, 29)) == date(2031, 2, 28)


def test_milestone_due_on_counts_whole_months_and_keeps_inside_short_months():
    assert MilestoneSuggestion("Audit", 3).due_on(date(2026, 11, 27)) == date(2027, 2, 27)
    assert MilestoneSuggestion("Audit", 1).due_on(date(2027, 1, 31)) == date(2027, 2, 28)
    assert MilestoneSuggestion("Review", 24).due_on(date(2026, 12, 1)) == date(2028, 12, 1)
