"""The organisation's home: every active mission's progress, what is overdue, what is new."""

from dataclasses import dataclass, replace
from datetime import date

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from metrics.charts import Sparkline, sparkline
from metrics.models import CheckIn, Metric
from metrics.rollups import (
    MetricProgress,
    MissionProgress,
    lead_metric,
    mission_progress,
    recent_values,
)
from missions.models import Goal, Mission, MissionStatus
from missions.sharing import cached_mission_parts, cached_page
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation

LATEST_CHECKINS = 8


@dataclass(frozen=True, slots=True)
class MissionCard:
    mission: Mission
    progress: MissionProgress
    lead: MetricProgress | None  # the first outcome metric with a reading
    overdue: int
    trend: Sparkline | None = None


def _card(mission: Mission, today: date) -> MissionCard:
    # Prefetched into a list by _body.
    loose: list[Metric] = mission.loose_metrics  # type: ignore[attr-defined]
    progress = mission_progress(mission.goals.all(), loose, today)
    metrics = progress.metrics
    return MissionCard(
        mission=mission,
        progress=progress,
        lead=lead_metric(progress),
        overdue=sum(1 for m in metrics if m.metric.next_due_on and m.metric.next_due_on < today),
    )


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
        "metrics/dashboard.html",
        {
            "org": org,
            "membership": membership,
            "body": mark_safe(body),  # noqa: S308 -- our own template's output
            "alone": membership.can_manage and org.memberships.count() == 1,
        },
    )


def _body(org: Organisation, membership: Membership, today: date) -> str:
    """The missions, overdue check-ins and latest check-ins: the part worth caching."""
    visible = Mission.objects.visible_to(membership).live()
    missions = {
        mission.pk: mission
        for mission in visible.filter(status=MissionStatus.ACTIVE).order_by("title")
    }
    cards = cached_mission_parts(
        org,
        list(missions),
        today,
        "dashboard-card",
        lambda missing: _cards(org, [missions[pk] for pk in missing], today),
    )
    overdue = (
        Metric.objects.filter(mission__in=visible, next_due_on__lt=today)
        .select_related("mission__organisation", "owner")
        .order_by("next_due_on")[:10]
    )
    latest = (
        CheckIn.objects.filter(metric__mission__in=visible, is_current=True)
        .select_related("metric__mission__organisation", "author")
        .order_by("-for_date", "-created_at")[:LATEST_CHECKINS]
    )
    return render_to_string(
        "metrics/dashboard.html#body",
        {
            "org": org,
            "cards": [mark_safe(card) for card in cards.values()],  # noqa: S308 -- ours
            "overdue": overdue,
            "latest": latest,
            # Counted only by the empty state, which the template renders without cards.
            "other_missions": visible.exclude(status=MissionStatus.ACTIVE).count,
        },
    )


def _cards(org: Organisation, missions: list[Mission], today: date) -> dict[int, str]:
    """Each mission's card, in a fixed number of queries however many there are."""
    # Every metric once, under its goal or among the mission's own; nobody's name is shown.
    metrics = Metric.objects.order_by("position", "id")
    prefetch_related_objects(
        missions,
        Prefetch("goals", queryset=Goal.objects.prefetch_related(Prefetch("metrics", metrics))),
        Prefetch("metrics", queryset=metrics.filter(goal=None), to_attr="loose_metrics"),
    )
    cards = [_card(mission, today) for mission in missions]
    # The trend line of each mission's lead outcome metric: one query for all of them.
    history = recent_values((card.lead.metric.pk for card in cards if card.lead), today)
    template = get_template("metrics/dashboard.html#card")
    return {
        card.mission.pk: template.render(
            {
                "org": org,
                "card": replace(card, trend=sparkline(history[card.lead.metric.pk]))
                if card.lead
                else card,
            }
        )
        for card in cards
    }
