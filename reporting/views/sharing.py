"""Managing share links inside the organisation: a mission's Share tab, and the
organisation's links for its progress page and published reports."""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from missions.access import get_mission_for_user
from missions.models import Mission, Report, ShareLink, ShareTarget, Visibility
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation, User
from orgs.roles import Role
from reporting.forms import OrganisationShareLinkForm, ShareLinkForm
from reporting.sharing import is_shareable, shareable_missions

# --- What the pages list --------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRow:
    link: ShareLink
    state: str  # active, expired, revoked, or paused (its mission is no longer shareable)
    last_day: date | None  # the last day an expiring link works, in the organisation's zone
    # The addresses, on the page that follows the link's creation only: the database
    # keeps a digest of its token, not the token (core.tokens).
    url: str = ""
    badge_url: str = ""


# The session key under which a new link's token waits for the page that shows it once.
NEW_LINK_KEY = "new_share_link"


def _remember_new_link(request: HttpRequest, link: ShareLink) -> None:
    request.session[NEW_LINK_KEY] = {"uid": str(link.uid), "token": link.token}


def _new_link_token(request: HttpRequest, links: Any) -> tuple[str, str]:
    """The (uid, token) of the link just made, if it is among `links`; taken out of the
    session as it is shown, so it is shown once."""
    new = request.session.get(NEW_LINK_KEY)
    if not isinstance(new, dict) or not any(str(link.uid) == new.get("uid") for link in links):
        return "", ""
    del request.session[NEW_LINK_KEY]
    return str(new.get("uid", "")), str(new.get("token", ""))


def _rows(request: HttpRequest, links: Any) -> list[LinkRow]:
    links = list(links)
    new_uid, new_token = _new_link_token(request, links)
    rows = []
    for link in links:
        if link.revoked_at is not None:
            state = "revoked"
        elif not link.is_active:
            state = "expired"
        elif link.target == ShareTarget.MISSION and not is_shareable(link.mission):
            state = "paused"
        else:
            state = "active"
        last_day = (
            timezone.localtime(link.expires_at - timedelta(microseconds=1)).date()
            if link.expires_at
            else None
        )
        row = LinkRow(link=link, state=state, last_day=last_day)
        if str(link.uid) == new_uid:
            row = replace(
                row,
                url=request.build_absolute_uri(reverse("share_page", args=[new_token])),
                badge_url=request.build_absolute_uri(reverse("share_badge", args=[new_token])),
            )
        rows.append(row)
    return rows


def _create_link(
    form: ShareLinkForm,
    organisation: Organisation,
    user: Any,
    target: str,
    mission: Mission | None = None,
    report: Report | None = None,
) -> ShareLink:
    assert isinstance(user, User)
    return ShareLink.objects.create(
        organisation=organisation,
        target=target,
        mission=mission,
        report=report,
        label=form.cleaned_data["label"].strip(),
        expires_at=form.expires_at(),
        created_by=user,
    )


def _revoke(request: HttpRequest, link: ShareLink) -> None:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    messages.success(
        request,
        f"“{link.label or 'Share link'}” is revoked: anyone who opens it now sees that it is "
        "no longer active.",
    )


# --- A mission's Share tab ------------------------------------------------------------------


def _managed_mission(
    request: HttpRequest, org_slug: str, mission_slug: str
) -> tuple[Organisation, Membership, Mission]:
    return get_mission_for_user(request, org_slug, mission_slug, edit=True)


@login_required
@require_http_methods(["GET", "POST"])
def mission_share(request: HttpRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    """Create and list a mission's share links. Admins and the mission's owner only."""
    org, membership, mission = _managed_mission(request, org_slug, mission_slug)
    form = ShareLinkForm(request.POST or None, organisation=org)
    refused = ""
    if request.method == "POST":
        if not is_shareable(mission):
            refused = "This mission isn’t shareable, so it can’t have a share link."
        elif form.is_valid():
            link = _create_link(form, org, request.user, ShareTarget.MISSION, mission=mission)
            _remember_new_link(request, link)
            messages.success(
                request,
                "Share link created. Copy it below and send it to your stakeholders: it is "
                "shown only this once.",
            )
            return redirect(
                reverse("reporting:share", args=[org.slug, mission.slug]) + f"#link-{link.uid}"
            )
    links = mission.share_links.select_related("created_by", "mission").order_by("-created_at")
    return render(
        request,
        "reporting/share.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "form": form,
            "refused": refused,
            "shareable": is_shareable(mission),
            "private_visibility": mission.visibility != Visibility.SHAREABLE,
            "rows": _rows(request, links),
        },
        status=400 if refused or form.errors else 200,
    )


@login_required
@require_POST
def mission_share_revoke(
    request: HttpRequest, org_slug: str, mission_slug: str, share_uid: Any
) -> HttpResponse:
    org, _, mission = _managed_mission(request, org_slug, mission_slug)
    _revoke(request, get_object_or_404(mission.share_links, uid=share_uid))
    return redirect("reporting:share", org.slug, mission.slug)


# --- The organisation's links ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def organisation_share(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Links to the organisation's progress page and its published reports. Admins only;
    mission links are listed too, each managed from its mission's Share tab."""
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    # A report's Share button names it: the form starts with it chosen.
    chosen = request.GET.get("share", "")
    form = OrganisationShareLinkForm(
        request.POST or None, organisation=org, initial={"share": chosen} if chosen else None
    )
    if request.method == "POST" and form.is_valid():
        target, report = form.target()
        link = _create_link(form, org, request.user, target, report=report)
        _remember_new_link(request, link)
        messages.success(request, "Share link created. Copy it below: it is shown only this once.")
        return redirect(reverse("reporting:org_share", args=[org.slug]) + f"#link-{link.uid}")
    links = (
        org.share_links.select_related("created_by", "mission", "report")
        .filter(mission__isnull=True)
        .order_by("-created_at")
    )
    mission_links = (
        org.share_links.select_related("created_by", "mission")
        .filter(target=ShareTarget.MISSION)
        .order_by("mission__title", "-created_at")
    )
    return render(
        request,
        "reporting/share_org.html",
        {
            "org": org,
            "membership": membership,
            "form": form,
            "rows": _rows(request, links),
            "mission_rows": _rows(request, mission_links),
            "public_url": request.build_absolute_uri(reverse("public_page", args=[org.slug])),
            "badges": _public_badges(request, org) if org.public_page else [],
        },
        status=400 if form.errors else 200,
    )


@dataclass(frozen=True)
class PublicBadge:
    mission: Mission
    image_url: str
    page_url: str


def _public_badges(request: HttpRequest, org: Organisation) -> list[PublicBadge]:
    """Each mission on the public progress page with its badge's stable address: the
    embed code can be copied whenever it is wanted, unlike a share link's."""
    page_url = request.build_absolute_uri(reverse("public_page", args=[org.slug]))
    return [
        PublicBadge(
            mission,
            request.build_absolute_uri(reverse("public_badge", args=[org.slug, mission.slug])),
            page_url,
        )
        for mission in shareable_missions(org).only("title", "slug").order_by("title")
    ]


@login_required
@require_POST
def organisation_share_revoke(request: HttpRequest, org_slug: str, share_uid: Any) -> HttpResponse:
    """Revoke any of the organisation's links, a mission's included. Admins only."""
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    _revoke(request, get_object_or_404(org.share_links, uid=share_uid))
    return redirect("reporting:org_share", org.slug)
