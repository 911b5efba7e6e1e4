"""The organisation's home: every active mission's progress, what needs attention and
who owns it, what changed since last week, what is overdue, what is new.

Cards read the figures stored on missions, goals and metrics (metrics.figures keeps them
current), and the rows they need as plain values: a card is drawn from a handful of
columns, and each status is judged from those figures (metrics.rollups.figures_of), never
recomputed from check-ins.
"""

import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from operator import or_
from typing import Any, NamedTuple

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from core.numbers import readable
from core.pagecache import CSRF_STAND_IN, cached_mission_parts, cached_page, with_csrf_token
from core.templatetags.dates import day_month
from core.templatetags.paths import path_for
from metrics.charts import Sparkline, sparkline
from metrics.models import CheckIn, Metric, MetricFormat, MetricKind
from metrics.progress import SEVERITY, Status, movement
from metrics.rollups import Figures, Rollup, figures_of
from metrics.templatetags.metric_charts import percent, progress_bar, sparkline_svg, status_badge
from missions.models import Goal, Mission, MissionStatus
from orgs import policy
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation, User

LATEST_CHECKINS = 8
OVERDUE_METRICS = 10
# The metrics off track and at risk listed by name and owner, the worst first; the rest
# are counted.
ATTENTION_METRICS = 12
# Metrics with a reading dated in the last week, the newest first.
CHANGED_METRICS = 8
WEEK = timedelta(days=7)


class MissionRow(NamedTuple):
    """A mission as the page reads it: what names it, and the figures stored on it."""

    id: int
    title: str
    slug: str
    status: str
    progress: float | None
    expected_path: list[list[Any]]
    reported_confidence: str
    created_at: datetime


class MetricRow(NamedTuple):
    """A metric of an active mission as a card reads it: for its headline (an outcome
    metric with a reading), its status (the figures stored on it) and whether it is
    overdue."""

    id: int
    mission_id: int
    goal_id: int | None
    position: int
    uid: uuid.UUID
    name: str
    kind: str
    format: str
    unit: str
    direction: str
    latest_value: Decimal | None
    latest_on: date | None
    latest_confidence: str
    baseline_value: Decimal | None
    baseline_on: date | None
    first_value: Decimal | None
    first_on: date | None
    target_value: Decimal | None
    target_on: date | None
    progress: float | None
    next_due_on: date | None
    owner_id: int | None


@dataclass(frozen=True, slots=True)
class GoalLine:
    title: str
    rollup: Rollup


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
    # Its lead's trend in words ("Falling: good news, as lower is better") and the tone
    # that colours its line.
    trend_words: str = ""
    trend_tone: str = ""


@login_required
@require_GET
def dashboard(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    today = timezone.localdate()
    # Admins all see the same missions and may edit them all; anyone else may also own
    # private ones, and what they may do depends on their role.
    scope = "admin" if membership.can_manage else f"user:{membership.user_id}:{membership.role}"
    body = cached_page(org, today, f"dashboard:{scope}", lambda: _body(org, membership, today))
    return render(
        request,
        "reporting/dashboard.html",
        {"org": org, "membership": membership, "body": with_csrf_token(request, body)},
    )


STARTING_MISSIONS = 3


def _getting_started(
    org: Organisation, membership: Membership, missions: list[MissionRow]
) -> dict[str, Any]:
    """What a new organisation does first, from the live missions they may see. While it
    has none, whoever may create one is asked to (from a template or a blank page). The
    newest drafts they may edit, hidden from the overview until they are active, are
    shown with what their health check still asks for and a button to make them active;
    and until the first check-in, so are the active missions whose health check still
    asks for something. Until someone else is in, or on the way (invited), admins are
    asked to bring their colleagues in."""
    newest = sorted(missions, key=lambda mission: mission.created_at, reverse=True)
    newest.sort(key=lambda mission: mission.status != MissionStatus.DRAFT)  # drafts first
    newest = newest[:STARTING_MISSIONS]
    shown = [m.id for m in newest if m.status == MissionStatus.DRAFT]
    # Active ones until the organisation's first check-in.
    active = [m.id for m in newest if m.status == MissionStatus.ACTIVE]
    if active and not CheckIn.objects.filter(metric__mission__organisation=org).exists():
        shown = [m.id for m in newest if m.id in shown or m.id in active]
    starting = []
    # Their health checks read the counts stored on their rows.
    for mission in sorted(
        Mission.objects.filter(pk__in=shown).select_related("organisation") if shown else [],
        key=lambda mission: shown.index(mission.pk),
    ):
        health = mission.health()
        draft = mission.status == MissionStatus.DRAFT
        if (draft or health) and policy.can_edit_mission(membership, mission):
            starting.append((mission, health))
    return {
        "first_mission": policy.can_manage(membership) and not missions,
        "starting": starting,
        "drafts_starting": any(m.status == MissionStatus.DRAFT for m, _ in starting),
        "alone": policy.can_manage(membership)
        and org.memberships.count() == 1
        and not org.invitations.pending().exists(),
    }


def _body(org: Organisation, membership: Membership, today: date) -> str:
    """Everything under the site's header: what to do first, the missions, what needs
    attention and what changed. The same for everyone with the same view of the
    missions, so the view may serve it from the cache."""
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
    parts = cached_mission_parts(
        org,
        active,
        today,
        # Named anew when a part's shape changes: a part cached in the old shape is not read.
        "dashboard-card-4",
        lambda missing: _cards(org, [missions[pk] for pk in missing], today),
    )
    # Each part is its card and its metrics that need attention (see _cards); only the
    # rows shown are drawn.
    cards, attention, attention_count = [], [], 0
    for pk, part in parts.items():
        card, rows, count = json.loads(part)
        cards.append(mark_safe(card))  # noqa: S308 -- card_html's
        attention += [(*row[:2], pk, row[2:]) for row in rows]
        attention_count += count
    attention.sort(key=lambda row: (row[0], row[1]))
    attention = attention[:ATTENTION_METRICS]
    # The owners of the rows shown, by id: joined to every metric's row, the whole table
    # of people was read for a few names.
    owners = {
        person.pk: person.display_name
        for person in User.objects.filter(
            pk__in={owner for _, _, _, (_, _, owner, *_) in attention}
        ).only("name", "email")
    }
    changed = (
        Metric.objects.filter(
            mission_id__in=missions, latest_on__gt=today - WEEK, latest_on__lte=today
        )
        .only(
            "uid",
            "name",
            "mission_id",
            "format",
            "unit",
            "direction",
            "latest_value",
            "latest_on",
            "trend",
        )
        .order_by("-latest_on", "name")[:CHANGED_METRICS]
    )
    overdue = _overdue(list(missions), today)
    latest = _latest_readings(list(missions))
    return render_to_string(
        "reporting/dashboard.html#body",
        {
            "org": org,
            "membership": membership,
            # The page is shared by everyone with the same view: each reader's own token
            # replaces this one (with_csrf_token).
            "csrf_token": CSRF_STAND_IN,
            **_getting_started(org, membership, list(missions.values())),
            "cards": cards,
            "attention": [
                attention_row(org, missions[pk], uid, name, owners.get(owner, ""), *judged)
                for _, _, pk, (uid, name, owner, *judged) in attention
            ],
            "attention_more": max(0, attention_count - ATTENTION_METRICS),
            "changed": [changed_row(org, missions[m.mission_id], m) for m in changed],
            "overdue": [overdue_row(org, missions[m.mission_id], m) for m in overdue],
            "latest": [latest_row(org, missions[c.metric.mission_id], c) for c in latest],
            "other_missions": len(missions) - len(active),
        },
    )


# The overdue and latest lists are found from the figures each metric stores (its next due
# day, the day of its newest reading), among these missions' metrics alone. Asked for in
# the lists' order with a limit, PostgreSQL walked the index every organisation shares (of
# due days, of readings newest first) until it had found enough of these missions': the
# quieter an organisation among busy ones, the more of everyone else's rows it read.


def _overdue(missions: list[int], today: date) -> list[Metric]:
    """The OVERDUE_METRICS metrics of these missions whose check-in is the longest due."""
    due = sorted(
        Metric.objects.filter(mission_id__in=missions, next_due_on__lt=today).values_list(
            "next_due_on", "pk"
        )
    )[:OVERDUE_METRICS]
    shown = [pk for _, pk in due]
    return sorted(
        Metric.objects.filter(pk__in=shown)
        .select_related("owner")
        .only("uid", "name", "mission_id", "next_due_on", "owner__name", "owner__email"),
        key=lambda metric: shown.index(metric.pk),
    )


def _latest_readings(missions: list[int]) -> list[CheckIn]:
    """The newest reading of each of the LATEST_CHECKINS metrics of these missions read
    most recently (those read the same day, the latest changed first)."""
    newest = (
        Metric.objects.filter(mission_id__in=missions, latest_on__isnull=False)
        .order_by("-latest_on", "-updated_at", "-pk")
        .values_list("pk", "latest_on")[:LATEST_CHECKINS]
    )
    readings = [Q(metric_id=pk, for_date=on) for pk, on in newest]
    if not readings:
        return []
    return list(
        CheckIn.objects.filter(functools.reduce(or_, readings), is_current=True)
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
        .order_by("-for_date", "-created_at")
    )


def _cards(org: Organisation, missions: list[MissionRow], today: date) -> dict[int, str]:
    """Each mission's card from the figures stored on its row, its goals' and its metrics'
    rows, in a fixed number of queries however many there are; with its metrics off
    track or at risk, for the list of what needs attention.

    A part is JSON: [card HTML, its worst ATTENTION_METRICS rows as
    [severity rank, gap, what the row says...], how many it has in all].
    """
    ids = [mission.id for mission in missions]
    goals: dict[int, list[GoalLine]] = defaultdict(list)
    goal_order: dict[int | None, int] = {}
    for n, (goal_id, mission_id, title, progress, path, confidence) in enumerate(
        Goal.objects.filter(mission_id__in=ids)
        .order_by("position", "id")
        .values_list(
            "id", "mission_id", "title", "progress", "expected_path", "reported_confidence"
        )
    ):
        goals[mission_id].append(
            GoalLine(title, figures_of(Figures(progress, path, confidence), today))
        )
        goal_order[goal_id] = n
    # Every metric of these missions, once: the lead of each, those needing attention,
    # and how many are overdue are all read from these rows.
    rows = [
        MetricRow(*row)
        for row in Metric.objects.filter(mission_id__in=ids)
        .order_by()
        .values_list(*MetricRow._fields)
    ]
    # The lead: each mission's first outcome metric with a reading, its goals' in order,
    # then its own outside any goal.
    leads: dict[int, MetricRow] = {}
    for row in sorted(
        (row for row in rows if row.kind == MetricKind.OUTCOME and row.latest_on is not None),
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
    overdue: dict[int, int] = defaultdict(int)
    attention: dict[int, list[list[Any]]] = defaultdict(list)
    for row in rows:
        if row.next_due_on is not None and row.next_due_on < today:
            overdue[row.mission_id] += 1
        judged = figures_of(row, today)
        if judged.status in (Status.OFF_TRACK, Status.AT_RISK):
            gap = (judged.expected or 0.0) - (judged.progress or 0.0)
            # What its row says, drawn only if it is among those shown (see _body), which
            # names its owner.
            attention[row.mission_id].append(
                [
                    -SEVERITY[judged.status],
                    -gap,
                    str(row.uid),
                    row.name,
                    row.owner_id,
                    judged.status.value,
                    judged.progress,
                    judged.expected,
                ]
            )
    cards: dict[int, str] = {}
    for mission in missions:
        lead = leads.get(mission.id)
        trend = trends[lead.id] if lead else []
        moved = movement(lead.direction, trend[0], trend[-1]) if lead and len(trend) > 1 else None
        card = MissionCard(
            title=mission.title,
            url=path_for("reporting:mission", org.slug, mission.slug),
            rollup=figures_of(
                Figures(mission.progress, mission.expected_path, mission.reported_confidence),
                today,
            ),
            goals=goals[mission.id],
            lead=_lead(org, mission, lead) if lead else None,
            overdue=overdue[mission.id],
            trend_words=moved.words if moved else "",
            trend_tone=moved.tone if moved else "",
        )
        html = card_html(card, sparkline(trend) if lead else None)
        # Its worst rows only: no more than the overview lists can be among those it lists.
        worst = sorted(attention[mission.id], key=lambda row: (row[0], row[1]))
        cards[mission.id] = json.dumps([html, worst[:ATTENTION_METRICS], len(worst)])
    return cards


def attention_row(
    org: Organisation,
    mission: MissionRow,
    uid: str,
    name: str,
    owner: str,
    status: str,
    progress: float | None,
    expected: float | None,
) -> SafeString:
    """A metric off track or at risk: its status, how far it has come against where it
    should be by now, its mission and who owns it ("" for nobody)."""
    return format_html(
        '<li class="attention-row"><span><a class="person" href="{url}">{name}</a> '
        '<span class="muted small">{mission} · <span class="attention-owner">{owner}'
        "</span></span></span> "
        '<span class="attention-judged">{badge} <span class="small">{progress} of the '
        "way, expected {expected}</span></span></li>",
        url=path_for("metrics:detail", org.slug, mission.slug, uid),
        name=name,
        mission=mission.title,
        owner=owner or "no owner",
        badge=status_badge(Status(status)),
        progress=percent(progress),
        expected=percent(expected),
    )


def changed_row(org: Organisation, mission: MissionRow, metric: Metric) -> SafeString:
    """A metric with a reading dated in the last week: its latest value, how it moved from
    the reading before (its stored trend's last two), and whether that is good news for
    the metric's direction, in words."""
    assert metric.latest_on is not None
    return format_html(
        '<li><span><a class="person" href="{url}">{name}</a> <span class="muted small">'
        "{mission} · {day}</span></span> <span><strong>{value}</strong> {words}</span></li>",
        url=path_for("metrics:detail", org.slug, mission.slug, metric.uid),
        name=metric.name,
        mission=mission.title,
        day=day_month(metric.latest_on),
        value=metric.format_value(metric.latest_value),
        words=_moved_words(metric, metric.trend or []),
    )


def _moved_words(metric: Metric, trend: list[float]) -> SafeString:
    """ "down 3.5 tonnes from 100 tonnes. Good news, as lower is better." A percentage
    moves by points; a yes or no only says what it was."""
    if len(trend) < 2:
        return format_html('<span class="trend-words trend-flat">{}</span>', "First reading.")
    before, after = trend[-2], trend[-1]
    moved = movement(metric.direction, before, after)
    if moved.good is None:
        return format_html(
            '<span class="trend-words trend-flat">{}</span>', "No change from the reading before."
        )
    news = moved.words.split(": ", 1)[-1]
    change = Decimal(str(after)) - Decimal(str(before))
    if metric.format == MetricFormat.YES_NO:
        way = f"was {metric.format_value(before)}"
        news = news.split(",", 1)[0]
    else:
        by = (
            f"{readable(abs(change))} points"
            if metric.format == MetricFormat.PERCENTAGE
            else metric.format_value(abs(change))
        )
        way = f"{'up' if change > 0 else 'down'} {by} from {metric.format_value(before)}"
    return format_html(
        '<span class="trend-words trend-{}">{}. {}.</span>', moved.tone, way, news.capitalize()
    )


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
    """A mission's card: its status and progress, each goal's progress against where it
    should be by now and its status, the latest reading of its lead outcome metric with a
    trend line coloured and worded by whether it moves the right way, and how many
    check-ins are overdue."""
    rollup = card.rollup
    # A card has a line per goal, and the overview a card per mission: the lines are
    # joined as text. Only the titles come from people, and are escaped; the rest is
    # numbers formatted here, and constants.
    goals = "".join(
        f'\n<li><span class="dash-goal-title">{escape(goal.title)}</span> '
        '<span class="dash-goal-figures"><span class="dash-goal-value">'
        f"{_goal_progress(goal.rollup.progress)}</span>"
        f"{_goal_expected(goal.rollup.expected)} {status_badge(goal.rollup.status)}</span></li>"
        for goal in card.goals
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
        goals=mark_safe(goals),  # noqa: S308 -- escaped above
        lead=format_html(
            '\n<p class="dash-lead">{trend} <span><a href="{url}">{name}</a>: '
            '<strong>{latest}</strong> <span class="muted small">on {on}, target {target}'
            "</span>{words}</span></p>",
            trend=sparkline_svg(trend, card.trend_tone),
            url=lead.url,
            name=lead.name,
            latest=lead.latest,
            on=day_month(lead.latest_on),
            target=lead.target,
            words=format_html(
                ' <span class="trend-words trend-{}">Over the year, {}.</span>',
                card.trend_tone,
                card.trend_words[:1].lower() + card.trend_words[1:],
            )
            if card.trend_words
            else "",
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


def _goal_expected(expected: float | None) -> str:
    """Where the goal should be by now, beside how far it has come."""
    if expected is None:
        return ""
    return f' <span class="dash-goal-expected muted small">expected {percent(expected)}</span>'


def _lead(org: Organisation, mission: MissionRow, metric: MetricRow) -> Lead:
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
