"""The pages where API tokens are made, listed and revoked: the organisation's (admins)
in its settings, and one's own on the account pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import ApiTokenForm
from api.models import ApiToken, Kind
from orgs.access import get_org_for_user, user_memberships
from orgs.models import User
from orgs.roles import Role

# The new secret waits in the session between the POST that made it and the page the
# browser is sent to, which takes it out: shown once, and a reload makes no second token.
JUST_MADE = "api_just_made"


def _made(request: HttpRequest, secret: str, to: str, *args: str) -> HttpResponse:
    request.session[JUST_MADE] = secret
    return redirect(to, *args)


def _revoke(request: HttpRequest, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    messages.success(request, f"The token “{token.name}” no longer works.")


@login_required
@require_http_methods(["GET", "POST"])
def org_tokens(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Every token of the organisation, anyone's, and a form for one of its own."""
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    assert isinstance(request.user, User)
    form = ApiTokenForm(request.POST or None, memberships=[membership], kind=Kind.ORGANISATION)
    if request.method == "POST" and form.is_valid():
        _, secret = form.save(owner=request.user, created_by=request.user)
        return _made(request, secret, "api_tokens:org", org.slug)
    tokens = ApiToken.objects.filter(organisation=org).select_related("owner")
    return render(
        request,
        "api/tokens.html",
        {
            "org": org,
            "membership": membership,
            "form": form,
            "tokens": tokens,
            "secret": request.session.pop(JUST_MADE, ""),
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def org_token_revoke(request: HttpRequest, org_slug: str, token_uid: str) -> HttpResponse:
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    _revoke(request, get_object_or_404(ApiToken, organisation=org, uid=token_uid))
    return redirect("api_tokens:org", org.slug)


@login_required
@require_http_methods(["GET", "POST"])
def my_tokens(request: HttpRequest) -> HttpResponse:
    """One's own tokens, in every organisation one belongs to."""
    assert isinstance(request.user, User)
    memberships = user_memberships(request)
    form = ApiTokenForm(request.POST or None, memberships=memberships, kind=Kind.PERSONAL)
    if request.method == "POST" and memberships and form.is_valid():
        _, secret = form.save(owner=request.user, created_by=request.user)
        return _made(request, secret, "api_tokens:mine")
    tokens = ApiToken.objects.filter(
        owner=request.user, organisation__memberships__user=request.user
    ).select_related("organisation")
    return render(
        request,
        "api/tokens.html",
        {
            "form": form if memberships else None,
            "tokens": tokens,
            "secret": request.session.pop(JUST_MADE, ""),
            "personal": True,
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def my_token_revoke(request: HttpRequest, token_uid: str) -> HttpResponse:
    _revoke(request, get_object_or_404(ApiToken, owner=request.user, uid=token_uid))
    return redirect("api_tokens:mine")
