"""The one place that decides who may see or change an organisation's data.

Every org-scoped view starts with `get_org_for_user`. An outsider and a missing
organisation look the same (404), so nobody can probe for other tenants; a
member whose role is too low for the action gets 403.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from core import numbers
from core.request_log import note_organisation
from orgs import policy
from orgs.models import Membership, Organisation, OrganisationSlug
from orgs.roles import Role

ORG_SESSION_KEY = "current_org"


def get_org_for_user(
    request: HttpRequest, org_slug: str, min_role: str = Role.VIEWER
) -> tuple[Organisation, Membership]:
    membership = _membership(request, org_slug)
    if membership is None:
        raise Http404
    note_organisation(request, membership.organisation_id)
    if not membership.has_role(min_role):
        raise PermissionDenied(f"This needs the {Role(min_role).label.lower()} role or higher.")
    if request.session.get(ORG_SESSION_KEY) != org_slug:
        request.session[ORG_SESSION_KEY] = org_slug  # where "home" takes them next time
    return membership.organisation, membership


def user_memberships(request: HttpRequest) -> list[Membership]:
    """The signed-in person's memberships with their organisations, by name.

    Read once per request: the access check below, the view and the organisation menu
    (orgs.context_processors) all ask, and a person belongs to a handful at most.
    """
    found: list[Membership] | None = request.__dict__.get("_memberships")
    if found is None:
        user = request.user
        found = (
            list(
                Membership.objects.filter(user=user)
                .select_related("organisation")
                .order_by("organisation__name")
            )
            if user.is_authenticated
            else []
        )
        request.__dict__["_memberships"] = found
    return found


def _membership(request: HttpRequest, org_slug: str) -> Membership | None:
    return next((m for m in user_memberships(request) if m.organisation.slug == org_slug), None)


class OrgAccessMiddleware:
    """Refuse outsiders on every org-scoped URL before the view's own decorators run,
    and work in the organisation's time zone and number format for the rest of the request.

    Without this, a POST-only view would answer an outsider's GET with 405 rather
    than the 404 a missing organisation gets. Anonymous visitors pass through to the
    view's login redirect. Views still call `get_org_for_user` with the role they need.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            numbers.deactivate()

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        org_slug = kwargs.get("org_slug")
        if org_slug is not None and request.user.is_authenticated:
            moved = _moved_to(request, org_slug)
            if moved:
                return HttpResponsePermanentRedirect(
                    request.get_full_path().replace(f"/{org_slug}/", f"/{moved}/", 1)
                )
            org, membership = get_org_for_user(request, org_slug)
            if policy.needs_two_factor(membership, org.two_factor_required) and not (
                request.user.has_two_factor()
            ):
                messages.warning(
                    request,
                    f"{org.name} asks everyone in your role to use two-factor authentication. "
                    "Set up an authenticator app or a passkey to continue.",
                )
                return HttpResponseRedirect(reverse("mfa_index"))
            # "Today", "late" and "due" mean the organisation's day, not the server's.
            timezone.activate(org.zone())
            # "1,5" means what the organisation's people mean by it (core.numbers).
            numbers.activate(org.number_format)
        return None


def _moved_to(request: HttpRequest, org_slug: str) -> str:
    """The address now of the person's organisation that had `org_slug` before, for a page
    they read; "" otherwise. Only its own people are told where it went: to anyone else
    the old address is as missing as any other."""
    if request.method not in ("GET", "HEAD") or _membership(request, org_slug) is not None:
        return ""
    slugs = {m.organisation_id: m.organisation.slug for m in user_memberships(request)}
    held = OrganisationSlug.objects.filter(slug=org_slug, organisation_id__in=slugs).first()
    return slugs[held.organisation_id] if held else ""


class HtmxLoginRedirectMiddleware:
    """Send an htmx request that needs a login to the login page with HX-Redirect.

    htmx would follow a plain redirect inside its request and swap the whole login page
    into the fragment's place. HX-Redirect, with an empty body, makes the browser go
    there instead, and comes back to the page the person was on, not to the fragment.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or response.status_code != 302:
            return response
        if urlsplit(response["Location"]).path != resolve_url(settings.LOGIN_URL):
            return response
        back_to = htmx.current_url_abs_path or request.get_full_path()
        return HttpResponseClientRedirect(redirect_to_login(back_to)["Location"])
