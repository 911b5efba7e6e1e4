"""The mission page: its goals with their metrics' progress, milestones, alignment and
health; and adding, editing and moving goals and milestones, which redraw its sections."""

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.pagecache import CSRF_STAND_IN, cached_mission_parts, pages_changed, with_csrf_token
from core.requests import HtmxRequest
from core.responses import form_status, refused_status
from metrics.models import Metric
from metrics.rollups import mission_progress
from missions.access import get_mission_for_user
from missions.forms import GoalForm, MilestoneForm
from missions.models import Goal, IdeaState, Milestone, Mission
from orgs import policy
from orgs.models import Membership, Organisation, User


def _page_counts(mission: Mission) -> Mapping[str, Any]:
    """What the page shows beside its rows, in one query: the mission's ideas, open and
    in all."""
    return (
        Mission.objects.filter(pk=mission.pk)
        .values(
            idea_count=Count("ideas"),
            open_idea_count=Count("ideas", filter=Q(ideas__state=IdeaState.OPEN)),
        )
        .get()
    )


def _goals_and_metrics(mission: Mission) -> tuple[list[Goal], list[Metric]]:
    """The mission's goals with their metrics prefetched, and its metrics of no goal.

    Without their trends: the page draws none, and each is a year of readings."""
    metrics = Metric.objects.defer("trend")
    goals = list(
        mission.goals.select_related("owner", "owner_invitation").prefetch_related(
            Prefetch("metrics", metrics)
        )
    )
    return goals, list(metrics.filter(mission=mission, goal__isnull=True))


def _detail_context(
    org: Organisation, membership: Membership, mission: Mission, csrf_token: str
) -> dict[str, Any]:
    """Everything under the mission page's header, its forms carrying `csrf_token`."""
    today = timezone.localdate()
    counts = _page_counts(mission)
    goals, loose = _goals_and_metrics(mission)
    alignments = list(mission.alignments.select_related("team"))
    milestones = list(mission.milestones.select_related("owner", "owner_invitation"))
    progress = mission_progress(mission, goals, loose, today)
    can_edit = policy.can_edit_mission(membership, mission)
    return {
        "org": org,
        "membership": membership,
        "mission": mission,
        "can_edit": can_edit,
        "health": mission.health(),
        "progress": progress,
        "milestones": milestones,
        "alignments": alignments,
        "resources": mission.resources.all(),
        "idea_counts": {"open": counts["open_idea_count"], "total": counts["idea_count"]},
        # The quick-add forms come when asked for (see _add_form); a refused one is put back.
        "goal_form": None,
        "milestone_form": None,
        "today": today,
        "csrf_token": csrf_token,
    }


@login_required
@require_GET
def mission_detail(request: HtmxRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug)
    can_edit = policy.can_edit_mission(membership, mission)

    def render_body(_: list[int]) -> dict[int, str]:
        context = _detail_context(org, membership, mission, CSRF_STAND_IN)
        return {mission.pk: render_to_string("missions/detail.html#body", context)}

    # Everything under the header depends on the mission and on two rights only.
    rights = f"{'edit' if can_edit else 'view'}:{'manage' if membership.can_manage else 'member'}"
    body = cached_mission_parts(
        org, [mission.pk], timezone.localdate(), f"page:{rights}", render_body
    )[mission.pk]
    return render(
        request,
        "missions/detail.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "body": with_csrf_token(request, body),
        },
    )


# --- Goals and milestones -----------------------------------------------------------------


def _section_response(
    request: HtmxRequest,
    org: Organisation,
    membership: Membership,
    mission: Mission,
    section: str,
    refused: GoalForm | MilestoneForm | None = None,
) -> HttpResponse:
    """After a change to the goals or milestones: under htmx the section again (with the
    refused form and its errors, if any); otherwise back to it on the mission page, or
    the whole page with the errors."""
    if refused is None and not request.htmx:
        return redirect(mission.get_absolute_url() + f"#{section}")
    context = _detail_context(org, membership, mission, get_token(request)) | {"oob": True}
    status = 200
    if refused is not None:
        context["goal_form" if section == "goals" else "milestone_form"] = refused
        status = refused_status(request)
    if request.htmx:
        # Goals change the health check too; it comes along as an out-of-band swap.
        fragment = "goals_changed" if section == "goals" else section
        return render(request, f"missions/detail.html#{fragment}", context, status=status)
    return render(request, "missions/detail.html", context, status=status)


def _add_form(
    request: HtmxRequest,
    org: Organisation,
    membership: Membership,
    mission: Mission,
    form: GoalForm | MilestoneForm,
) -> HttpResponse:
    """An empty quick-add form: swapped into the mission page under htmx, with the cursor
    in its first field, or on a page of its own without JavaScript."""
    kind = "goal" if isinstance(form, GoalForm) else "milestone"
    context: dict[str, Any] = {
        "org": org,
        "membership": membership,
        "mission": mission,
        "form": form,
    }
    if request.htmx:
        form.fields["title"].widget.attrs["autofocus"] = True
        context |= {"can_edit": True, f"{kind}_form": form}
        return render(request, f"missions/detail.html#{kind}_add", context)
    return render(request, f"missions/{kind}_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def goal_add(request: HtmxRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    if request.method == "GET":
        return _add_form(
            request, org, membership, mission, GoalForm(organisation=org, prefix="goal")
        )
    form = GoalForm(request.POST, organisation=org, prefix="goal")
    if form.is_valid():
        goal = form.save(commit=False)
        goal.mission = mission
        goal.position = mission.goals.next_position()
        goal.save()
        messages.success(request, f"Goal “{goal.title}” added.")
        return _section_response(request, org, membership, mission, "goals")
    return _section_response(request, org, membership, mission, "goals", refused=form)


def _goal(mission: Mission, goal_uid: Any) -> Goal:
    return get_object_or_404(
        mission.goals.select_related("owner", "owner_invitation"), uid=goal_uid
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(
    request: HtmxRequest, org_slug: str, mission_slug: str, goal_uid: Any
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    goal = _goal(mission, goal_uid)
    form = GoalForm(
        request.POST if request.method == "POST" else None, instance=goal, organisation=org
    )
    if request.method == "POST":
        assert isinstance(request.user, User)
        if form.save_edit(by=request.user):
            messages.success(request, f"Goal saved. {form.merged}".strip())
            return redirect(mission.get_absolute_url() + "#goals")
        goal.refresh_from_db()
    return render(
        request,
        "missions/goal_form.html",
        {"org": org, "membership": membership, "mission": mission, "goal": goal, "form": form},
        status=form_status(request, form),
    )


@transaction.atomic
def _move(rows: QuerySet[Any], row: Any, direction: str) -> None:
    """Swap `row` with its neighbour above or below, renumbering so positions are distinct."""
    ordered = list(rows.select_for_update().order_by("position", "id"))
    index = next(i for i, r in enumerate(ordered) if r.pk == row.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    rows.model.objects.bulk_update(ordered, ["position"])
    # bulk_update sends no signals: the cached share pages must still see the new order.
    organisation_id, mission_id = row.mission.organisation_id, row.mission_id
    transaction.on_commit(lambda: pages_changed(organisation_id, mission_id))


@login_required
@require_POST
def goal_move(
    request: HtmxRequest, org_slug: str, mission_slug: str, goal_uid: Any
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    goal = _goal(mission, goal_uid)
    _move(mission.goals.all(), goal, request.POST.get("direction", ""))
    return _section_response(request, org, membership, mission, "goals")


@login_required
@require_http_methods(["GET", "POST"])
def milestone_add(request: HtmxRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    if request.method == "GET":
        return _add_form(
            request, org, membership, mission, MilestoneForm(organisation=org, prefix="milestone")
        )
    form = MilestoneForm(request.POST, organisation=org, prefix="milestone")
    if form.is_valid():
        milestone = form.save(commit=False)
        milestone.mission = mission
        milestone.position = mission.milestones.next_position()
        milestone.save()
        messages.success(request, f"Milestone “{milestone.title}” added.")
        return _section_response(request, org, membership, mission, "milestones")
    return _section_response(request, org, membership, mission, "milestones", refused=form)


def _milestone(mission: Mission, milestone_uid: Any) -> Milestone:
    return get_object_or_404(mission.milestones, uid=milestone_uid)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_edit(
    request: HtmxRequest, org_slug: str, mission_slug: str, milestone_uid: Any
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    milestone = _milestone(mission, milestone_uid)
    form = MilestoneForm(request.POST or None, organisation=org, instance=milestone)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Milestone saved.")
        return redirect(mission.get_absolute_url() + "#milestones")
    return render(
        request,
        "missions/milestone_form.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "milestone": milestone,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def milestone_move(
    request: HtmxRequest, org_slug: str, mission_slug: str, milestone_uid: Any
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    milestone = _milestone(mission, milestone_uid)
    _move(mission.milestones.all(), milestone, request.POST.get("direction", ""))
    return _section_response(request, org, membership, mission, "milestones")


@login_required
@require_POST
def milestone_done(
    request: HtmxRequest, org_slug: str, mission_slug: str, milestone_uid: Any
) -> HttpResponse:
    """Mark a milestone done (today) or not done, as the posted `done` says."""
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    milestone = _milestone(mission, milestone_uid)
    milestone.done_on = timezone.localdate() if request.POST.get("done") == "1" else None
    milestone.save(update_fields=["done_on", "updated_at"])  # updated_since and the API see it
    return _section_response(request, org, membership, mission, "milestones")
