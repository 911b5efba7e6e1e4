"""Teams and resources aligned to missions: one mission's tab, and the organisation's matrix."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import focus_asked
from core.pagecache import cached_page
from core.requests import HtmxRequest
from core.responses import refused_status
from missions.access import get_mission_for_user
from missions.alignment import (
    FULL_CAPACITY,
    AlignmentMatrix,
    Commitment,
    alignment_matrix,
    resource_groups,
)
from missions.forms import AlignmentForm, ResourceForm
from missions.models import Alignment, AlignmentRole, Mission, Resource
from orgs import policy
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation

TAB_TEMPLATE = "missions/alignment.html"


def _tab_url(mission: Mission, section: str) -> str:
    tab = reverse("missions:alignment", args=[mission.organisation.slug, mission.slug])
    return f"{tab}#{section}"


def _team_load() -> Any:
    """Each alignment's team's total share of capacity across its organisation's live missions."""
    totals = (
        Alignment.objects.filter(team=OuterRef("team"), mission__archived_at__isnull=True)
        .order_by()
        .values("team")
        .annotate(total=Sum("capacity"))
        .values("total")
    )
    return Coalesce(Subquery(totals), 0)


def _tab_context(
    org: Organisation,
    membership: Membership,
    mission: Mission,
    *,
    alignment_form: AlignmentForm | None = None,
    resource_form: ResourceForm | None = None,
    notice: str = "",
) -> dict[str, Any]:
    alignments = list(mission.alignments.select_related("team").annotate(team_load=_team_load()))
    can_edit = policy.can_edit_mission(membership, mission)
    has_lead = any(a.role == AlignmentRole.LEAD for a in alignments)
    # A mission without a lead team is asked for one first (its health check says so).
    initial = {} if has_lead else {"role": AlignmentRole.LEAD}
    return {
        "org": org,
        "membership": membership,
        "mission": mission,
        "can_edit": can_edit,
        "alignments": alignments,
        "has_lead": has_lead,
        "over_committed": [a for a in alignments if a.team_load > FULL_CAPACITY],
        "resource_groups": resource_groups(mission.resources.all()),
        "org_has_teams": can_edit and org.teams.exists(),
        "alignment_form": alignment_form
        or AlignmentForm(mission=mission, prefix="alignment", initial=initial),
        "resource_form": resource_form or ResourceForm(prefix="resource"),
        "notice": notice,
    }


def _tab_response(
    request: HtmxRequest,
    org: Organisation,
    membership: Membership,
    mission: Mission,
    section: str,
    **context: Any,
) -> HttpResponse:
    """The whole tab, or under htmx only the section ("teams" or "resources") that changed."""
    template = TAB_TEMPLATE
    if request.htmx:
        template = f"{TAB_TEMPLATE}#{section}"
    forms = [context.get("alignment_form"), context.get("resource_form")]
    refused = any(form is not None and form.errors for form in forms)
    return render(
        request,
        template,
        _tab_context(org, membership, mission, **context),
        status=refused_status(request) if refused else 200,
    )


def _saved(form: AlignmentForm, alignment: Alignment) -> bool:
    """Save, or explain the clash when another request aligned the same team a moment earlier."""
    try:
        with transaction.atomic():
            alignment.save()
    except IntegrityError:
        form.add_error("team", f"{alignment.team.name} is already aligned to this mission.")
        return False
    return True


def _changed(
    request: HtmxRequest,
    org: Organisation,
    membership: Membership,
    mission: Mission,
    section: str,
    notice: str,
) -> HttpResponse:
    """After a change: the section again under htmx, else back to it with the notice."""
    if request.htmx:
        return _tab_response(request, org, membership, mission, section, notice=notice)
    messages.success(request, notice)
    return redirect(_tab_url(mission, section))


def _edit_page(
    request: HtmxRequest,
    org: Organisation,
    membership: Membership,
    mission: Mission,
    form: AlignmentForm | ResourceForm,
    *,
    section: str,
    heading: str,
    submit_label: str,
) -> HttpResponse:
    return render(
        request,
        "missions/alignment_form.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "form": form,
            "heading": heading,
            "submit_label": submit_label,
            "back_url": _tab_url(mission, section),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def mission_alignment(request: HtmxRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug)
    context = _tab_context(org, membership, mission)
    focus_asked(context["alignment_form"], request)
    return render(request, TAB_TEMPLATE, context)


# --- Teams --------------------------------------------------------------------------------


@login_required
@require_POST
def alignment_add(request: HtmxRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    form = AlignmentForm(request.POST, mission=mission, prefix="alignment")
    if form.is_valid():
        alignment = form.save(commit=False)
        alignment.mission = mission
        if _saved(form, alignment):
            notice = (
                f"{alignment.team.name} aligned as {alignment.get_role_display().lower()} "
                f"with {alignment.capacity} % of its time."
            )
            return _changed(request, org, membership, mission, "teams", notice)
    return _tab_response(request, org, membership, mission, "teams", alignment_form=form)


def _alignment(mission: Mission, alignment_uid: UUID) -> Alignment:
    return get_object_or_404(mission.alignments.select_related("team"), uid=alignment_uid)


@login_required
@require_http_methods(["GET", "POST"])
def alignment_edit(
    request: HtmxRequest, org_slug: str, mission_slug: str, alignment_uid: UUID
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    alignment = _alignment(mission, alignment_uid)
    team_name = alignment.team.name  # the form changes the instance while it validates
    form = AlignmentForm(request.POST or None, instance=alignment, mission=mission)
    if request.method == "POST" and form.is_valid() and _saved(form, form.instance):
        messages.success(request, f"Saved {form.instance.team.name}'s alignment.")
        return redirect(_tab_url(mission, "teams"))
    return _edit_page(
        request,
        org,
        membership,
        mission,
        form,
        section="teams",
        heading=f"{team_name} on this mission",
        submit_label="Save alignment",
    )


@login_required
@require_POST
def alignment_remove(
    request: HtmxRequest, org_slug: str, mission_slug: str, alignment_uid: UUID
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    alignment = _alignment(mission, alignment_uid)
    alignment.delete()
    notice = f"{alignment.team.name} is no longer aligned to this mission."
    return _changed(request, org, membership, mission, "teams", notice)


# --- Resources ----------------------------------------------------------------------------


def _describe(resource: Resource) -> str:
    return f"{resource.get_kind_display().lower()} “{resource.name}”"


@login_required
@require_POST
def resource_add(request: HtmxRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    form = ResourceForm(request.POST, prefix="resource")
    if form.is_valid():
        resource = form.save(commit=False)
        resource.mission = mission
        resource.save()
        notice = f"Added the {_describe(resource)}."
        return _changed(request, org, membership, mission, "resources", notice)
    return _tab_response(request, org, membership, mission, "resources", resource_form=form)


def _resource(mission: Mission, resource_uid: UUID) -> Resource:
    return get_object_or_404(mission.resources, uid=resource_uid)


@login_required
@require_http_methods(["GET", "POST"])
def resource_edit(
    request: HtmxRequest, org_slug: str, mission_slug: str, resource_uid: UUID
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    resource = _resource(mission, resource_uid)
    name = resource.name  # the form changes the instance while it validates
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved the {_describe(resource)}.")
        return redirect(_tab_url(mission, "resources"))
    return _edit_page(
        request,
        org,
        membership,
        mission,
        form,
        section="resources",
        heading=f"Edit “{name}”",
        submit_label="Save resource",
    )


@login_required
@require_POST
def resource_remove(
    request: HtmxRequest, org_slug: str, mission_slug: str, resource_uid: UUID
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    resource = _resource(mission, resource_uid)
    resource.delete()
    notice = f"Removed the {_describe(resource)}."
    return _changed(request, org, membership, mission, "resources", notice)


# --- The organisation's alignment ---------------------------------------------------------


@login_required
@require_GET
def alignment_overview(request: HtmxRequest, org_slug: str) -> HttpResponse:
    """Teams by live missions: three queries for the data, whatever the organisation's size,
    and the page's body kept in the page cache for everyone with the same view of them."""
    org, membership = get_org_for_user(request, org_slug)

    def render_body() -> str:
        return render_to_string(
            "missions/alignment_overview.html#body",
            {"org": org, "membership": membership, "matrix": _organisation_matrix(org, membership)},
        )

    scope = "admin" if membership.can_manage else f"user:{membership.user_id}"
    body = cached_page(org, timezone.localdate(), f"alignment:{scope}", render_body)
    return render(
        request,
        "missions/alignment_overview.html",
        {"org": org, "membership": membership, "body": mark_safe(body)},  # noqa: S308 -- ours
    )


def _organisation_matrix(org: Organisation, membership: Membership) -> AlignmentMatrix:
    missions = list(
        Mission.objects.visible_to(membership)
        .live()
        .annotate(has_resources=Exists(Resource.objects.filter(mission=OuterRef("pk"))))
        .order_by("title")
    )
    # Every live mission's alignments, private ones too, so a team's load is its real load.
    commitments = [
        Commitment(*row)
        for row in Alignment.objects.filter(
            mission__organisation=org, mission__archived_at__isnull=True
        )
        .order_by()
        .values_list("team_id", "mission_id", "role", "capacity")
    ]
    return alignment_matrix(
        teams=list(org.teams.order_by("name")),
        missions=missions,
        commitments=commitments,
        resourced_mission_ids={m.pk for m in missions if m.has_resources},
    )
