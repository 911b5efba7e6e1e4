"""The rows the mission page repeats: its goals with their metrics, its metrics of no goal
and its milestones (templates/missions/detail.html has the rest). Built here with
format_html, one function per kind of row: through templates, these rows were most of
the page's rendering.

{% load mission_rows %}
{% goal_rows progress.goals mission can_edit csrf_token %}
{% metric_rows progress.loose mission %}
{% milestone_rows milestones mission can_edit csrf_token %}
"""

from collections.abc import Callable, Sequence

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core.templatetags.dates import day_month_year, month_year
from core.templatetags.paths import path_for
from metrics.models import MetricKind
from metrics.rollups import GoalProgress, MetricProgress
from metrics.templatetags.metric_charts import progress_bar, status_badge
from missions.models import Milestone, Mission, owner_named

register = template.Library()

KIND_CHIPS = {
    kind: format_html('<span class="kind-chip kind-{}">{}</span>', kind, label)
    for kind, label in MetricKind.choices
}
BUTTON = "button button-small button-quiet"
NO_METRIC = mark_safe(
    '<p class="muted small no-metric">No metric yet: how will you know this goal is met?</p>'
)
# A milestone's state, in words for screen readers where the sign is only seen.
DONE = mark_safe(
    '<span class="tick" aria-hidden="true">✓</span><span class="visually-hidden">Done:</span>'
)
LATE = mark_safe('<span class="late">Late</span>')
TO_COME = mark_safe('<span class="dot" aria-hidden="true"></span>')


@register.simple_tag
def goal_rows(
    rows: Sequence[GoalProgress], mission: Mission, can_edit: bool, csrf_token: str
) -> SafeString:
    return _movable_rows(goal_row, rows, mission, can_edit, csrf_token)


@register.simple_tag
def metric_rows(rows: Sequence[MetricProgress], mission: Mission) -> SafeString:
    return format_html_join("", "{}", ((metric_row(row, mission),) for row in rows))


@register.simple_tag
def milestone_rows(
    milestones: Sequence[Milestone], mission: Mission, can_edit: bool, csrf_token: str
) -> SafeString:
    return _movable_rows(milestone_row, milestones, mission, can_edit, csrf_token)


def _movable_rows[T](
    row: Callable[[T, Mission, bool, SafeString, int, int], SafeString],
    items: Sequence[T],
    mission: Mission,
    can_edit: bool,
    csrf_token: str,
) -> SafeString:
    """Goals or milestones, each knowing its place among them for its move buttons."""
    csrf = csrf_input(csrf_token)
    return format_html_join(
        "",
        "{}",
        ((row(item, mission, can_edit, csrf, i, len(items)),) for i, item in enumerate(items)),
    )


def goal_row(
    row: GoalProgress, mission: Mission, can_edit: bool, csrf: SafeString, index: int, count: int
) -> SafeString:
    """A goal with its progress, weight, owner and due date, and its metrics."""
    goal, rollup = row.goal, row.rollup
    slugs = (mission.organisation.slug, mission.slug, goal.uid)
    actions = (
        format_html(
            '\n<div class="row-actions">{move} <a class="{button}" href="{edit}">Edit'
            '<span class="visually-hidden"> “{title}”</span></a></div>',
            move=move_form(
                path_for("reporting:goal_move", *slugs),
                "#goals",
                goal.title,
                csrf,
                index,
                count,
            ),
            button=BUTTON,
            edit=path_for("reporting:goal_edit", *slugs),
            title=goal.title,
        )
        if can_edit
        else ""
    )
    metrics = (
        format_html(
            '<ul class="metric-list">{}\n</ul>',
            format_html_join(
                "", "{}", ((metric_row(m, mission, with_range=True),) for m in row.metrics)
            ),
        )
        if row.metrics
        else NO_METRIC
    )
    add_metric = (
        format_html(
            '\n<p class="small"><a href="{}">+ Add a metric'
            '<span class="visually-hidden"> to “{}”</span></a></p>',
            path_for("metrics:add", *slugs),
            goal.title,
        )
        if can_edit
        else ""
    )
    return format_html(
        '\n<li class="goal" id="goal-{uid}">'
        '\n<div class="goal-head"><h3>{title}</h3>{actions}</div>'
        '\n{bar}\n<p class="muted small">Weight {weight} · {owner}{due}</p>'
        "\n{metrics}{add_metric}\n</li>",
        uid=goal.uid,
        title=goal.title,
        actions=actions,
        bar=(
            progress_bar(rollup.progress, rollup.expected, status=rollup.status)
            if rollup.progress is not None
            else ""
        ),
        weight=goal.weight,
        owner=owner_named(goal) or "no owner",
        due=f" · due {day_month_year(goal.due_on)}" if goal.due_on else "",
        metrics=metrics,
        add_metric=add_metric,
    )


def metric_row(measured: MetricProgress, mission: Mission, with_range: bool = False) -> SafeString:
    """A metric's kind, name and latest value with its status; `with_range`, its baseline
    and target too."""
    metric = measured.metric
    latest = (
        format_html(
            " <strong>{}</strong> {}",
            metric.format_value(metric.latest_value),
            status_badge(measured.rollup.status),
        )
        if metric.latest_on
        else ""
    )
    span = ""
    if with_range:
        begun = metric.starting_point
        start = (
            "no baseline yet"
            if begun is None
            else f"from {metric.format_value(begun.value)}"
            if begun.is_baseline
            else f"from {metric.format_value(begun.value)} (first check-in)"
        )
        end = ""
        if metric.target_value is not None:
            end = f" → {metric.format_value(metric.target_value)}"
            if metric.target_on:
                end += f" by {month_year(metric.target_on)}"
        span = format_html(' <span class="muted small">{}{}</span>', start, end)
    return format_html(
        '\n<li>{kind} <a class="metric-name" href="{url}">{name}</a>{latest}{range}</li>',
        kind=KIND_CHIPS[metric.kind],
        url=path_for("metrics:detail", mission.organisation.slug, mission.slug, metric.uid),
        name=metric.name,
        latest=latest,
        range=span,
    )


def milestone_row(
    milestone: Milestone,
    mission: Mission,
    can_edit: bool,
    csrf: SafeString,
    index: int,
    count: int,
) -> SafeString:
    """A milestone, done, late or to come, with its date; for editors, a button to mark it
    done (or reopen it), the move buttons and an edit link."""
    done, late = milestone.is_done, milestone.is_late
    state = DONE if done else LATE if late else TO_COME
    when = (
        f"done {day_month_year(milestone.done_on)}"
        if done
        else f"due {day_month_year(milestone.due_on)}"
    )
    if owner := owner_named(milestone):
        when = f"{when} · {owner}"
    actions = ""
    if can_edit:
        # In a div, not a span: a form may not sit inside a span.
        slugs = (mission.organisation.slug, mission.slug, milestone.uid)
        done_url = path_for("reporting:milestone_done", *slugs)
        actions = format_html(
            '\n<div class="row-actions"><form method="post" action="{done_url}" '
            'hx-post="{done_url}" hx-target="#milestones" hx-swap="outerHTML">{csrf}'
            '<input type="hidden" name="done" value="{done_value}">'
            '<button class="{button}" type="submit">{done_label}'
            '<span class="visually-hidden"> “{title}”</span></button></form> {move} '
            '<a class="{button}" href="{edit}">Edit<span class="visually-hidden"> “{title}”</span>'
            "</a></div>",
            done_url=done_url,
            csrf=csrf,
            done_value="0" if done else "1",
            button=BUTTON,
            done_label="Reopen" if done else "Mark done",
            title=milestone.title,
            move=move_form(
                path_for("reporting:milestone_move", *slugs),
                "#milestones",
                milestone.title,
                csrf,
                index,
                count,
            ),
            edit=path_for("reporting:milestone_edit", *slugs),
        )
    return format_html(
        '\n<li class="milestone{state_class}"><span class="milestone-state">{state}</span> '
        '<span class="milestone-body"><span class="milestone-title">{title}</span> '
        '<span class="muted small">{when}</span></span>{actions}</li>',
        state_class=" is-done" if done else " is-late" if late else "",
        state=state,
        title=milestone.title,
        when=when,
        actions=actions,
    )


def move_form(
    url: str, target: str, title: str, csrf: SafeString, index: int, count: int
) -> SafeString | str:
    """The up and down buttons of a goal or milestone, for which htmx swaps its list;
    nothing when it has no neighbour to pass."""
    if count < 2:
        return ""
    button = (
        '<button class="button button-small button-quiet" type="submit" name="direction" '
        'value="{0}" aria-label="Move “{1}” {0}">{2}</button>'
    )
    return format_html(
        '<form method="post" action="{url}" hx-post="{url}" hx-target="{target}" '
        'hx-swap="outerHTML">{csrf}{up}{down}</form>',
        url=url,
        target=target,
        csrf=csrf,
        up=format_html(button, "up", title, "↑") if index > 0 else "",
        down=format_html(button, "down", title, "↓") if index < count - 1 else "",
    )


def csrf_input(csrf_token: str) -> SafeString:
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token)
