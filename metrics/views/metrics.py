"""Metrics on a mission's goals: adding and editing them."""

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from core import dates
from core.pagecache import cached_mission_parts
from core.responses import form_status
from core.templatetags.paths import path_for
from metrics.access import get_metric_for_user
from metrics.forecast import RECENT, forecast
from metrics.forms import MetricForm
from metrics.models import CheckIn, Metric
from metrics.rollups import figures_of
from metrics.services import metric_refresh_latest
from missions.access import get_mission_for_user
from missions.models import Mission
from orgs import policy
from orgs.models import Organisation, User


@login_required
@require_http_methods(["GET", "POST"])
def metric_add(
    request: HttpRequest, org_slug: str, mission_slug: str, goal_uid: Any = None
) -> HttpResponse:
    """A metric on one of the mission's goals, or (without a goal) on the mission itself."""
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    goal = get_object_or_404(mission.goals, uid=goal_uid) if goal_uid else None
    form = MetricForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        metric = form.save(commit=False)
        metric.mission, metric.goal = mission, goal
        metric.position = mission.metrics.filter(goal=goal).count()
        metric.save()
        metric_refresh_latest(metric)  # sets when the first check-in is due
        where = goal.title if goal else mission.title
        messages.success(request, f"Metric “{metric.name}” added to “{where}”.")
        return redirect("metrics:detail", org.slug, mission.slug, metric.uid)
    return render(
        request,
        "metrics/form.html",
        {"org": org, "membership": membership, "mission": mission, "goal": goal, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def metric_edit(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: Any
) -> HttpResponse:
    org, membership, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, metric_uid, edit=True
    )
    form = MetricForm(
        request.POST if request.method == "POST" else None, instance=metric, organisation=org
    )
    if request.method == "POST":
        assert isinstance(request.user, User)
        # One transaction: the edit's row lock keeps a check-in from slipping between
        # the save and the refresh of the metric's latest values.
        with transaction.atomic():
            saved = form.save_edit(by=request.user)
            if saved:
                metric_refresh_latest(metric)  # the cadence or baseline may have moved it
        if saved:
            messages.success(request, f"Metric saved. {form.merged}".strip())
            return redirect("metrics:detail", org.slug, mission.slug, metric.uid)
        metric.refresh_from_db()
    return render(
        request,
        "metrics/form.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "goal": metric.goal,
            "metric": metric,
            "form": form,
        },
        status=form_status(request, form),
    )


# Check-ins the metric page lists on each page of its history: about half a year of
# weekly ones.
HISTORY_ROWS = 26


def history_rows(
    org: Organisation,
    mission: Mission,
    metric: Metric,
    checkins: Iterable[CheckIn],
    *,
    can_check_in: bool,
) -> SafeString:
    """The history table's rows, newest first, each built once with format_html: a row's
    value, confidence, comment and who recorded or corrected it."""
    return format_html_join(
        "\n", "{}", ((_history_row(org, mission, metric, c, can_check_in),) for c in checkins)
    )


def _history_row(
    org: Organisation, mission: Mission, metric: Metric, checkin: CheckIn, can_check_in: bool
) -> SafeString:
    value = metric.format_value(checkin.value)
    corrects = checkin.corrects
    action = ""
    if can_check_in:
        action = format_html(
            '<td class="actions">{}</td>',
            format_html(
                '<a class="button button-small button-quiet" href="{}">Correct'
                '<span class="visually-hidden"> the value for {}</span></a>',
                path_for("metrics:correct", org.slug, mission.slug, metric.uid, checkin.uid),
                dates.day_month_year(checkin.for_date),
            )
            if checkin.is_current
            else "",
        )
    return format_html(
        '<tr class="{row_class}"><td>{day}</td><td>{value}</td>'
        '<td><span class="confidence confidence-{confidence}">{confidence_label}</span></td>'
        '<td>{note}</td><td class="small">{how} by {author}, {at}{was}</td>{action}</tr>',
        row_class="" if checkin.is_current else "is-superseded",
        day=dates.day_month_year(checkin.for_date),
        value=format_html("<strong>{}</strong>", value)
        if checkin.is_current
        else format_html('<del>{}</del> <span class="muted small">replaced</span>', value),
        confidence=checkin.confidence,
        confidence_label=checkin.get_confidence_display(),
        note=linebreaksbr(checkin.note, autoescape=True),
        how="Corrected" if corrects else "Checked in",
        author=checkin.author.display_name if checkin.author else "a former member",
        at=dates.moment(checkin.created_at),
        was=format_html(
            '<br><span class="muted">was {}</span>', metric.format_value(corrects.value)
        )
        if corrects
        else "",
        action=action,
    )


@login_required
@require_GET
def metric_detail(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: Any
) -> HttpResponse:
    org, membership, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, metric_uid
    )
    today = timezone.localdate()
    # The forecast follows the newest readings; the table lists one page of check-ins
    # with who made them, newest first; the chart (drawn below only when the mission has
    # changed since) reads as many readings as it draws, however long the history.
    current = metric.checkins.filter(is_current=True)
    newest = list(current.order_by("-for_date").values_list("for_date", "value")[:RECENT])
    history = metric.checkins.select_related("author", "corrects").order_by(
        "-for_date", "-created_at", "-id"
    )
    page = Paginator(history, HISTORY_ROWS).get_page(request.GET.get("page"))
    shown = list(page)
    can_check_in = policy.can_check_in(membership, metric, mission)
    rollup = figures_of(metric, today)
    trend = None
    if metric.target_value is not None and metric.target_on is not None:
        trend = forecast(
            [(on, float(value)) for on, value in reversed(newest)],
            float(metric.target_value),
            metric.target_on,
            metric.direction,
        )

    def render_chart(_: list[int]) -> dict[int, str]:
        readings: list[Any] = list(
            current.chart_series().values_list("for_date", "value", named=True)
        )
        drawn = render_to_string(
            "metrics/detail.html#chart",
            {"metric": metric, "readings": readings, "forecast": trend, "today": today},
        )
        return {mission.pk: drawn}

    # Drawn again only when something of the mission changes (a check-in, an edit).
    chart = cached_mission_parts(
        org, [mission.pk], today, f"metric-chart:{metric.pk}", render_chart
    )
    return render(
        request,
        "metrics/detail.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "metric": metric,
            "chart": mark_safe(chart[mission.pk]),  # noqa: S308 -- our own template's output
            "history_page": page,
            "history_rows": history_rows(org, mission, metric, shown, can_check_in=can_check_in),
            "progress": rollup.progress,
            "expected": rollup.expected,
            "status": rollup.status,
            "forecast": trend,
            "can_check_in": can_check_in,
            "can_edit": policy.can_edit_mission(membership, mission),
        },
    )
