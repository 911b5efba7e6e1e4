"""The organisation's stakeholder register, and each mission's Stakeholders tab.

Contact details (contact name, email, consent, notes) are shown to members and up;
viewers see who the stakeholders are, what they care about and what they committed to.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import focus_asked
from core.requests import HtmxRequest
from core.responses import refused_status
from missions.access import get_mission_for_user
from missions.forms import StakeholderForm, StakeholderLinkEditForm, StakeholderLinkForm
from missions.models import Mission, StakeholderLink
from orgs import policy
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation, Stakeholder, StakeholderKind, User
from orgs.roles import Role
from orgs.services import RuleBroken, stakeholder_save

# --- The register ---------------------------------------------------------------------


def _register_context(
    org: Organisation, membership: Membership, kind: str, form: StakeholderForm
) -> dict[str, Any]:
    # Links to missions this person cannot see (private ones) are left out, so the
    # register never names a mission its own page would refuse.
    visible_links = (
        StakeholderLink.objects.filter(mission__in=Mission.objects.visible_to(membership))
        .select_related("mission")
        .order_by("mission__title")
    )
    stakeholders = org.stakeholders.prefetch_related(
        Prefetch("mission_links", queryset=visible_links, to_attr="visible_links")
    ).order_by("name")
    if kind:
        stakeholders = stakeholders.filter(kind=kind)
    by_kind: dict[str, list[Stakeholder]] = {}
    for stakeholder in stakeholders:
        by_kind.setdefault(stakeholder.kind, []).append(stakeholder)
    counts = dict(org.stakeholders.values_list("kind").annotate(n=Count("pk")).order_by())
    return {
        "org": org,
        "membership": membership,
        "groups": [
            (label, by_kind[value]) for value, label in StakeholderKind.choices if value in by_kind
        ],
        "kinds": [(value, label, counts.get(value, 0)) for value, label in StakeholderKind.choices],
        "total": sum(counts.values()),
        "kind": kind,
        "form": form,
        "today": timezone.localdate(),
    }


def _person(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _say_how_consent_goes(request: HttpRequest, stakeholder: Stakeholder, asked: str) -> None:
    if asked == "asked":
        messages.info(
            request,
            f"We have emailed {stakeholder.email} to confirm they want progress digests. They "
            "get none until they do.",
        )
    elif asked == "held":
        messages.warning(
            request,
            f"{stakeholder.email} has been asked to confirm several times today, so we have not "
            "asked again. Save the stakeholder tomorrow to ask once more.",
        )


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The register, filterable by kind; admins add stakeholders with the form beside it."""
    min_role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    org, membership = get_org_for_user(request, org_slug, min_role=min_role)
    form = StakeholderForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        stakeholder = form.save(commit=False)
        stakeholder.organisation = org
        try:
            with transaction.atomic():
                asked = stakeholder_save(stakeholder, by=_person(request))
        except IntegrityError:  # the same name added by someone else a moment ago
            form.add_error("name", "The register already has a stakeholder with this name.")
        except RuleBroken as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"{stakeholder.name} is in the register.")
            _say_how_consent_goes(request, stakeholder, asked)
            return redirect(
                reverse("missions:stakeholder_list", args=[org.slug]) + f"#s-{stakeholder.uid}"
            )
    kind = request.GET.get("kind", "")
    if kind not in StakeholderKind.values:
        kind = ""
    return render(
        request,
        "missions/stakeholder_list.html",
        _register_context(org, membership, kind, form),
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_edit(request: HttpRequest, org_slug: str, stakeholder_uid: Any) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    stakeholder = get_object_or_404(org.stakeholders, uid=stakeholder_uid)
    form = StakeholderForm(request.POST or None, instance=stakeholder, organisation=org)
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    asked = stakeholder_save(form.save(commit=False), by=_person(request))
            except IntegrityError:
                form.add_error("name", "The register already has a stakeholder with this name.")
            else:
                messages.success(request, f"{stakeholder.name} saved.")
                _say_how_consent_goes(request, stakeholder, asked)
                return redirect(
                    reverse("missions:stakeholder_list", args=[org.slug]) + f"#s-{stakeholder.uid}"
                )
        stakeholder.refresh_from_db()
    links = stakeholder.mission_links.filter(
        mission__in=Mission.objects.visible_to(membership)
    ).select_related("mission")
    return render(
        request,
        "missions/stakeholder_form.html",
        {
            "org": org,
            "membership": membership,
            "stakeholder": stakeholder,
            "form": form,
            "links": links,
            "today": timezone.localdate(),
        },
        status=400 if form.errors else 200,
    )


# --- A mission's Stakeholders tab -------------------------------------------------------


def _tab_context(
    org: Organisation,
    membership: Membership,
    mission: Mission,
    form: StakeholderLinkForm,
    new_form: StakeholderForm | None = None,
) -> dict[str, Any]:
    can_add = policy.can_manage(membership)  # the register is the admins', as on its page
    return {
        "org": org,
        "membership": membership,
        "mission": mission,
        "tab": "stakeholders",
        "can_edit": policy.can_edit_mission(membership, mission),
        "links": mission.stakeholder_links.select_related("stakeholder"),
        "form": form,
        "register_empty": not org.stakeholders.exists(),
        "new_form": (new_form or StakeholderForm(organisation=org, prefix="new"))
        if can_add
        else None,
        "today": timezone.localdate(),
    }


def _tab_url(mission: Mission, org: Organisation, anchor: str = "") -> str:
    url = reverse("missions:stakeholders", args=[org.slug, mission.slug])
    return url + (f"#{anchor}" if anchor else "")


@login_required
@require_http_methods(["GET", "POST"])
def mission_stakeholders(request: HtmxRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    """The mission's stakeholders; a POST links one (htmx swaps the section in place)."""
    editing = request.method == "POST"
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=editing)
    form = StakeholderLinkForm(request.POST or None, mission=mission)
    if editing and form.is_valid():
        link = form.save(commit=False)
        link.mission = mission
        try:
            with transaction.atomic():
                link.save()
        except IntegrityError:  # linked by someone else a moment ago
            form.add_error("stakeholder", "This stakeholder is already linked to the mission.")
        else:
            if not request.htmx:
                messages.success(request, f"{link.stakeholder.name} is linked to this mission.")
                return redirect(_tab_url(mission, org, f"link-{link.uid}"))
            form = StakeholderLinkForm(mission=mission)
    context = _tab_context(org, membership, mission, form)
    status = refused_status(request) if form.errors else 200
    if not editing:
        focus_asked(form, request)
    if editing and request.htmx:
        return render(request, "missions/stakeholders.html#links", context, status=status)
    return render(request, "missions/stakeholders.html", context, status=status)


@login_required
@require_POST
def mission_stakeholder_add(request: HttpRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    """A new stakeholder in the register, linked to this mission at once: adding one does
    not mean leaving the mission. The register is the admins' (as on its own page)."""
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    if not policy.can_manage(membership):
        raise PermissionDenied("Admins add stakeholders to the register.")
    new_form = StakeholderForm(request.POST, organisation=org, prefix="new")
    if new_form.is_valid():
        stakeholder = new_form.save(commit=False)
        stakeholder.organisation = org
        try:
            with transaction.atomic():
                asked = stakeholder_save(stakeholder, by=_person(request))
                link = StakeholderLink.objects.create(mission=mission, stakeholder=stakeholder)
        except IntegrityError:  # the same name added by someone else a moment ago
            new_form.add_error("name", "The register already has a stakeholder with this name.")
        except RuleBroken as refused:
            new_form.add_error(None, str(refused))
        else:
            messages.success(
                request, f"{stakeholder.name} is in the register and linked to this mission."
            )
            _say_how_consent_goes(request, stakeholder, asked)
            return redirect(_tab_url(mission, org, f"link-{link.uid}"))
    context = _tab_context(
        org, membership, mission, StakeholderLinkForm(mission=mission), new_form=new_form
    )
    return render(request, "missions/stakeholders.html", context, status=400)


def _link(mission: Mission, link_uid: Any) -> StakeholderLink:
    return get_object_or_404(mission.stakeholder_links.select_related("stakeholder"), uid=link_uid)


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_link_edit(
    request: HttpRequest, org_slug: str, mission_slug: str, link_uid: Any
) -> HttpResponse:
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    link = _link(mission, link_uid)
    form = StakeholderLinkEditForm(request.POST or None, instance=link, mission=mission)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, f"The link with {link.stakeholder.name} is saved.")
            return redirect(_tab_url(mission, org, f"link-{link.uid}"))
        link.refresh_from_db()
    return render(
        request,
        "missions/stakeholder_link_form.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "tab": "stakeholders",
            "link": link,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def stakeholder_link_remove(
    request: HttpRequest, org_slug: str, mission_slug: str, link_uid: Any
) -> HttpResponse:
    org, _, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    link = _link(mission, link_uid)
    link.delete()
    messages.success(
        request,
        f"{link.stakeholder.name} is no longer linked to this mission. They stay in the register.",
    )
    return redirect(_tab_url(mission, org))


@login_required
@require_POST
def stakeholder_link_met(
    request: HttpRequest, org_slug: str, mission_slug: str, link_uid: Any
) -> HttpResponse:
    """Mark a supplier's commitment met (today), or not met, as the posted `met` says."""
    org, _, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    link = _link(mission, link_uid)
    name = link.stakeholder.name
    if not link.commitment:
        messages.error(request, f"{name} has no commitment on this mission to mark.")
    elif request.POST.get("met") == "1":
        link.commitment_met_on = link.commitment_met_on or timezone.localdate()
        link.save(update_fields=["commitment_met_on"])
        messages.success(request, f"The commitment from {name} is marked met.")
    else:
        link.commitment_met_on = None
        link.save(update_fields=["commitment_met_on"])
        messages.success(request, f"The commitment from {name} is marked not met yet.")
    return redirect(_tab_url(mission, org, f"link-{link.uid}"))
