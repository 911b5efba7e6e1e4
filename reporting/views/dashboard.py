"""The organisation's home: every active mission's progress, what is overdue, what is new.

Cards read the figures stored on missions and goals (metrics.figures keeps them current),
and the rows they need as plain values: a card is drawn from a handful of columns.
"""

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from core.pagecache import cached_mission_parts, cached_page
from core.templatetags.dates import day_month
from core.templatetags.paths import path_for
from metrics.charts import Sparkline, sparkline
from metrics.models import CheckIn, Metric, MetricKind
from metrics.rollups import Figures, Rollup, figures_of
from metrics.templatetags.metric_charts import percent, progress_bar, sparkline_svg, status_badge
from missions.models import Goal, Mission, MissionStatus
from orgs import policy
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation

LATEST_CHECKINS = 8
OVERDUE_METRICS = 10


class MissionRow(NamedTuple):
    """A mission as the page reads it: what names it, and the figures stored on it."""

    id: int
    title: str
    slug: str
    status: str
    progress: float | None
    expected_path: list[list[Any]]
    reported_confidence: str


class LeadRow(NamedTuple):
    """An outcome metric with a reading, as a card's headline reads it."""

    id: int
    mission_id: int
    goal_id: int | None
    position: int
    uid: uuid.UUID
    name: str
    format: str
    unit: str
    latest_value: Decimal | None
    latest_on: date | None
    target_value: Decimal | None


@dataclass(frozen=True, slots=True)
class GoalLine:
    title: str
    progress: float | None


@dataclass(frozen=True, slots=True)
class Lead:
    """The mission's headline: its first outcome metric with a reading."""

    id: int
    url: str
    name: str
    latest: str  # as people read it: "64 tonnes"
    latest_on: date
    target: str


@dataclass(frozen=True, slots=True)
class MissionCard:
    title: str
    url: str
    rollup: Rollup
    goals: list[GoalLine]
    lead: Lead | None
    overdue: int


@login_required
@require_GET
def dashboard(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    today = timezone.localdate()
    # Admins all see the same missions; anyone else may also own private ones.
    scope = "admin" if membership.can_manage else f"user:{membership.user_id}"
    body = cached_page(org, today, f"dashboard:{scope}", lambda: _body(org, membership, today))
    return render(
        request,
        "reporting/dashboard.html",
        {
            "org": org,
            "membership": membership,
            "body": mark_safe(body),  # noqa: S308 -- our own template's output
            # Until someone else is in, or on the way (invited).
            "alone": membership.can_manage
            and org.memberships.count() == 1
            and not org.invitations.pending().exists(),
        }
        | _getting_started(org, membership),
    )


STARTING_MISSIONS = 3


def _getting_started(org: Organisation, membership: Membership) -> dict[str, Any]:
    """What a new organisation does first. While it has no mission, whoever may create one
    is asked to (from a template or a blank page). The drafts they may edit, hidden from
    the overview until they are active, are shown with what their health check still
    asks for and a button to make them active; and until the first check-in, so are the
    active missions whose health check still asks for something."""
    missions = Mission.objects.visible_to(membership).live()
    statuses = [MissionStatus.DRAFT]
    if not CheckIn.objects.filter(metric__mission__organisation=org).exists():
        statuses.append(MissionStatus.ACTIVE)
    starting = []
    for mission in missions.filter(status__in=statuses).order_by("-created_at")[:STARTING_MISSIONS]:
        health = mission.health()
        draft = mission.status == MissionStatus.DRAFT
        if (draft or health) and policy.can_edit_mission(membership, mission):
            starting.append((mission, health))
    return {
        "first_mission": policy.can_manage(membership) and not missions.exists(),
        "starting": starting,
        "drafts_starting": any(m.status == MissionStatus.DRAFT for m, _ in starting),
    }


def _body(org: Organisation, membership: Membership, today: date) -> str:
    """The missions, overdue check-ins and latest check-ins: the part worth caching."""
    # Every live mission they may see, once: the active ones get cards, and the lists
    # below name any of them. Their ids go to the lists' queries as values, not as a
    # subquery: joined to the missions and the organisation, PostgreSQL spent longer
    # planning those queries than running them.
    missions = {
        row[0]: MissionRow(*row)
        for row in Mission.objects.visible_to(membership)
        .live()
        .order_by("title")
        .values_list(*MissionRow._fields)
    }
    active = [pk for pk, mission in missions.items() if mission.status == MissionStatus.ACTIVE]
    cards = cached_mission_parts(
        org,
        active,
        today,
        "dashboard-card",
        lambda missing: _cards(org, [missions[pk] for pk in missing], today),
    )
    overdue = (
        Metric.objects.filter(mission_id__in=missions, next_due_on__lt=today)
        .select_related("owner")
        .only("uid", "name", "mission_id", "next_due_on", "owner__name", "owner__email")
        .order_by("next_due_on")[:OVERDUE_METRICS]
    )
    latest = (
        CheckIn.objects.filter(metric__mission_id__in=missions, is_current=True)
        .select_related("metric", "author")
        .only(
            "value",
            "note",
            "for_date",
            "metric__uid",
            "metric__name",
            "metric__format",
            "metric__unit",
            "metric__mission_id",
            "author__name",
            "author__email",
        )
        .order_by("-for_date", "-created_at")[:LATEST_CHECKINS]
    )
    return render_to_string(
        "reporting/dashboard.html#body",
        {
            "org": org,
            "cards": [mark_safe(card) for card in cards.values()],  # noqa: S308 -- card_html's
            "overdue": [overdue_row(org, missions[m.mission_id], m) for m in overdue],
            "latest": [latest_row(org, missions[c.metric.mission_id], c) for c in latest],
            "other_missions": len(missions) - len(active),
        },
    )


def _cards(org: Organisation, missions: list[MissionRow], today: date) -> dict[int, str]:
    """Each mission's card from the figures stored on its row and its goals' rows, in a
    fixed number of queries however many there are."""
    ids = [mission.id for mission in missions]
    goals: dict[int, list[GoalLine]] = defaultdict(list)
    goal_order: dict[int | None, int] = {}
    for n, (goal_id, mission_id, title, progress) in enumerate(
        Goal.objects.filter(mission_id__in=ids)
        .order_by("position", "id")
        .values_list("id", "mission_id", "title", "progress")
    ):
        goals[mission_id].append(GoalLine(title, progress))
        goal_order[goal_id] = n
    # The lead: each mission's first outcome metric with a reading, its goals' in order,
    # then its own outside any goal.
    leads: dict[int, LeadRow] = {}
    for row in sorted(
        (
            LeadRow(*row)
            for row in Metric.objects.filter(
                mission_id__in=ids, kind=MetricKind.OUTCOME, latest_on__isnull=False
            ).values_list(*LeadRow._fields)
        ),
        # A metric of no goal comes after every goal's.
        key=lambda lead: (
            lead.goal_id is None,
            goal_order.get(lead.goal_id, 0),
            lead.position,
            lead.id,
        ),
    ):
        leads.setdefault(row.mission_id, row)
    # The leads' trend lines, read for them alone: each is a year of readings.
    trends = dict(
        Metric.objects.filter(pk__in=[lead.id for lead in leads.values()]).values_list(
            "pk", "trend"
        )
    )
    overdue = dict(
        Metric.objects.filter(mission_id__in=ids, next_due_on__lt=today)
        .order_by()
        .values_list("mission_id")
        .annotate(Count("id"))
    )
    cards: dict[int, str] = {}
    for mission in missions:
        lead = leads.get(mission.id)
        card = MissionCard(
            title=mission.title,
            url=path_for("reporting:mission", org.slug, mission.slug),
            rollup=figures_of(
                Figures(mission.progress, mission.expected_path, mission.reported_confidence),
                today,
            ),
            goals=goals[mission.id],
            lead=_lead(org, mission, lead) if lead else None,
            overdue=overdue.get(mission.id, 0),
        )
        cards[mission.id] = card_html(card, sparkline(trends[lead.id]) if lead else None)
    return cards


def overdue_row(org: Organisation, mission: MissionRow, metric: Metric) -> SafeString:
    """A metric whose check-in is late: its mission, its owner and the day it was due."""
    return format_html(
        '<li><span><a class="person" href="{url}">{name}</a> <span class="muted small">'
        "{mission} · {owner}</span></span> "
        '<span class="late-by">due {due}</span></li>',
        url=path_for("metrics:detail", org.slug, mission.slug, metric.uid),
        name=metric.name,
        mission=mission.title,
        owner=metric.owner.display_name if metric.owner else "no owner",
        due=day_month(metric.next_due_on),
    )


def latest_row(org: Organisation, mission: MissionRow, checkin: CheckIn) -> SafeString:
    """A recent check-in: its value in the metric's units, its day, who made it and the
    start of its note."""
    metric = checkin.metric
    return format_html(
        '<li><span><a class="person" href="{url}">{name}</a> <span class="muted small">'
        "{value} for {day}{author}</span>{note}</span></li>",
        url=path_for("metrics:detail", org.slug, mission.slug, metric.uid),
        name=metric.name,
        value=metric.format_value(checkin.value),
        day=day_month(checkin.for_date),
        author=f" · {checkin.author.display_name}" if checkin.author else "",
        note=(
            format_html(' <span class="small">“{}”</span>', Truncator(checkin.note).chars(90))
            if checkin.note
            else ""
        ),
    )


NO_DATA = mark_safe('<span class="muted">no data</span>')


def card_html(card: MissionCard, trend: Sparkline | None) -> SafeString:
    """A mission's card: its status and progress, each goal's progress, the latest reading
    of its lead outcome metric with a trend line, and how many check-ins are overdue."""
    rollup = card.rollup
    goals = format_html_join(
        "",
        '\n<li><span class="dash-goal-title">{}</span> '
        '<span class="dash-goal-value">{}</span></li>',
        ((goal.title, _goal_progress(goal.progress)) for goal in card.goals),
    )
    lead = card.lead
    return format_html(
        '<li class="card dash-mission">\n'
        '<div class="mission-card-head"><h3><a href="{url}">{title}</a></h3> {badge}</div>\n'
        '{bar}\n<ul class="dash-goals">{goals}</ul>{lead}{overdue}\n</li>',
        url=card.url,
        title=card.title,
        badge=status_badge(rollup.status),
        bar=progress_bar(rollup.progress, rollup.expected, status=rollup.status),
        goals=goals,
        lead=format_html(
            '\n<p class="dash-lead">{trend} <span><a href="{url}">{name}</a>: '
            '<strong>{latest}</strong> <span class="muted small">on {on}, target {target}'
            "</span></span></p>",
            trend=sparkline_svg(trend),
            url=lead.url,
            name=lead.name,
            latest=lead.latest,
            on=day_month(lead.latest_on),
            target=lead.target,
        )
        if lead
        else "",
        overdue=format_html(
            '\n<p class="dash-overdue">{} check-in{} overdue</p>',
            card.overdue,
            pluralize(card.overdue),
        )
        if card.overdue
        else "",
    )


def _goal_progress(progress: float | None) -> str:
    return percent(progress) if progress is not None else NO_DATA


def _lead(org: Organisation, mission: MissionRow, metric: "LeadRow") -> Lead:
    assert metric.latest_on is not None
    in_units = _in_units(metric.format, metric.unit)
    return Lead(
        id=metric.id,
        url=path_for("metrics:detail", org.slug, mission.slug, metric.uid),
        name=metric.name,
        latest=in_units(metric.latest_value),
        latest_on=metric.latest_on,
        target=in_units(metric.target_value),
    )


@functools.lru_cache(maxsize=256)
def _in_units(format: str, unit: str) -> Callable[[Decimal | None], str]:
    """Metric.format_value of a metric with this format and unit: only the model knows how
    values read, and it needs no more than these two columns to say."""
    return Metric(format=format, unit=unit).format_value
