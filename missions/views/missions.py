"""Missions themselves: the list, a new mission, editing and archiving one, the map."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import events
from core.forms import focus_asked
from core.pagecache import cached_page
from core.responses import form_status
from missions.access import get_mission_for_user
from missions.forms import MissionForm
from missions.models import Goal, Mission, MissionStatus
from orgs.access import get_org_for_user
from orgs.models import User
from orgs.roles import Role


@login_required
@require_GET
def mission_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The missions as cards, each with its health from the counts stored on its row. The
    list is kept in the page cache for everyone with the same view of the missions."""
    org, membership = get_org_for_user(request, org_slug)
    show_archived = request.GET.get("archived") == "1"

    def render_body() -> str:
        missions = (
            Mission.objects.visible_to(membership)
            .filter(archived_at__isnull=not show_archived)
            .select_related("owner")
            .order_by("title")
        )
        archived_count = (
            Mission.objects.visible_to(membership).filter(archived_at__isnull=False).count()
        )
        context = {
            "org": org,
            "membership": membership,
            "missions": missions,
            "show_archived": show_archived,
            "archived_count": archived_count,
        }
        return render_to_string("missions/list.html#body", context)

    scope = "admin" if membership.can_manage else f"user:{membership.user_id}"
    shown = "archived" if show_archived else "live"
    body = cached_page(org, timezone.localdate(), f"missions:{shown}:{scope}", render_body)
    return render(
        request,
        "missions/list.html",
        {
            "org": org,
            "membership": membership,
            "show_archived": show_archived,
            "body": mark_safe(body),  # noqa: S308 -- our own template's output
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mission_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    form = MissionForm(
        request.POST or None,
        organisation=org,
        initial={"owner": request.user.email if isinstance(request.user, User) else None},
    )
    if request.method == "POST" and form.is_valid():
        mission = form.save(commit=False)
        mission.organisation = org
        mission.slug = Mission.objects.free_slug(org, mission.title)
        try:
            with transaction.atomic():
                mission.save()
        except IntegrityError:  # the same title, saved by someone else a moment ago
            form.add_error("title", "Another mission already has this title.")
        else:
            mission.event_emit(events.MISSION_CREATED)
            messages.success(request, f"Mission “{mission.title}” created. Now give it goals.")
            return redirect(mission)
    return render(
        request,
        "missions/form.html",
        {"org": org, "membership": membership, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mission_edit(request: HttpRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    form = MissionForm(
        request.POST if request.method == "POST" else None, instance=mission, organisation=org
    )
    if request.method == "POST":
        assert isinstance(request.user, User)
        if form.save_edit(by=request.user):
            messages.success(request, f"Mission saved. {form.merged}".strip())
            return redirect(mission)
        mission.refresh_from_db()
    focus_asked(form, request)
    return render(
        request,
        "missions/form.html",
        {"org": org, "membership": membership, "form": form, "mission": mission},
        status=form_status(request, form),
    )


@login_required
@require_POST
def mission_activate(request: HttpRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    """Make a draft active, from the overview where drafts are hidden until they are: it
    then shows there, with its progress, and its metrics are reminded."""
    org, _, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    assert isinstance(request.user, User)
    if mission.status != MissionStatus.DRAFT:
        messages.info(request, f"“{mission.title}” is {mission.get_status_display().lower()}.")
    else:
        mission.status = MissionStatus.ACTIVE
        if mission.save_edit(["status"], version=mission.version, by=request.user):
            messages.success(request, f"“{mission.title}” is active: it shows on the overview now.")
        else:  # someone saved it between our read and this write
            messages.error(
                request, f"“{mission.title}” was changed just now; look, then try again."
            )
    return redirect("reporting:dashboard", org.slug)


@login_required
@require_POST
def mission_archive(request: HttpRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    """Archive, or restore, a mission. Missions are never deleted from here."""
    org, _, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    if request.POST.get("action") == "restore":
        if Mission.objects.title_taken(org, mission.title, exclude_pk=mission.pk):
            messages.error(
                request, "A live mission already has this title. Rename one of them first."
            )
        else:
            mission.archived_at = None
            mission.save(update_fields=["archived_at"])
            messages.success(request, f"“{mission.title}” is back among the live missions.")
    elif mission.archived_at is None:
        mission.archived_at = timezone.now()
        mission.save(update_fields=["archived_at"])
        mission.event_emit(events.MISSION_ARCHIVED)
        messages.success(
            request, f"“{mission.title}” is archived. It stays readable under Archived."
        )
    return redirect(mission)


# --- The map ------------------------------------------------------------------------------


@login_required
@require_GET
def mission_map(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    missions = (
        Mission.objects.visible_to(membership)
        .live()
        .select_related("owner")
        .prefetch_related(
            Prefetch("goals", queryset=Goal.objects.annotate(metric_count=Count("metrics"))),
            "milestones",
        )
        .order_by("title")
    )
    return render(
        request,
        "missions/map.html",
        {"org": org, "membership": membership, "missions": missions, "statuses": MissionStatus},
    )
