import logging
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.requests import HtmxRequest
from core.slugs import unique_slug
from orgs import policy
from orgs.access import ORG_SESSION_KEY, get_org_for_user
from orgs.consent import consent_confirm, stakeholder_for
from orgs.emails import email_name
from orgs.forms import (
    AccountDeleteForm,
    EmailPreferencesForm,
    InvitationForm,
    InvitedSignupForm,
    NewOrganisationForm,
    OrganisationForm,
    ProfileForm,
    RoleForm,
    TeamForm,
    TeamMemberForm,
)
from orgs.models import DigestFrequency, Invitation, Membership, Organisation, TeamMember, User
from orgs.portability import ExportBroken, organisation_export
from orgs.roles import Role
from orgs.services import (
    RuleBroken,
    account_delete,
    invitation_accept,
    invitation_send,
    invitation_void_reason,
    membership_change_role,
    membership_remove,
    organisation_create,
    organisations_only_they_own,
    user_create_from_invitation,
)
from orgs.unsubscribe import subscription_for

logger = logging.getLogger(__name__)

# --- Outside any organisation -------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    memberships = Membership.objects.filter(user=request.user).select_related("organisation")
    last = request.session.get(ORG_SESSION_KEY)
    chosen = next((m for m in memberships if m.organisation.slug == last), None)
    chosen = chosen or next(iter(memberships), None)
    if chosen is None:
        return redirect("org_create")
    return redirect(chosen.organisation)


@require_GET
def health_database(request: HttpRequest) -> HttpResponse:
    """Through every middleware, with one query: the baseline `make bench` measures pages
    against. Load balancers ask /healthz and /readyz (config.health) instead."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_http_methods(["GET", "POST"])
def account_profile(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    user = request.user
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your details are saved.")
            return redirect("account_profile")
        user.refresh_from_db()  # the header shows what is stored, not what was refused
    return render(
        request, "registration/profile.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    """Delete one's own account, having been told what happens to what they own."""
    assert isinstance(request.user, User)
    user = request.user
    form = AccountDeleteForm(request.POST or None, user=user)
    blocking = organisations_only_they_own(user)
    if request.method == "POST" and form.is_valid() and not blocking:
        try:
            account_delete(user)
        except RuleBroken as error:  # made the only owner of something a moment ago
            form.add_error(None, str(error))
        else:
            logger.info("Account %s deleted by its owner", user.pk)
            request.session.flush()
            messages.success(request, "Your account has been deleted. Goodbye.")
            return redirect("home")
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    refused = request.method == "POST" and (bool(form.errors) or bool(blocking))
    return render(
        request,
        "registration/account_delete.html",
        {"form": form, "blocking": blocking, "memberships": memberships, "refused": refused},
        status=400 if refused else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def org_create(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    if not request.user.has_verified_email():
        return _verify_first(request, "create an organisation")
    form = NewOrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = organisation_create(request.user, form.cleaned_data["name"])
        messages.success(request, f"{organisation.name} is ready. You are its owner.")
        return redirect(organisation)
    return render(request, "orgs/org_create.html", {"form": form})


def _verify_first(request: HttpRequest, action: str) -> HttpResponse:
    """Unverified accounts may look around, but not create organisations or invite."""
    return render(
        request,
        "orgs/verify_first.html",
        {"action": action, "next": request.get_full_path()},
        status=403 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def email_verification_resend(request: HttpRequest) -> HttpResponse:
    """Send the verification link again, no more often than allauth's confirm_email limit."""
    assert isinstance(request.user, User)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("home")
    address = EmailAddress.objects.filter(user=request.user, email__iexact=request.user.email)
    email_address = address.first() or EmailAddress.objects.create(
        user=request.user, email=request.user.email, primary=True
    )
    if email_address.verified:
        messages.success(request, "Your email address is already verified.")
    elif not ratelimit.consume(request, action="confirm_email", key=email_address.email.lower()):
        messages.error(
            request,
            "We sent a link a moment ago. Give it a few minutes, and check your spam folder.",
        )
    else:
        email_address.send_confirmation(request)
        messages.success(request, f"We have sent a new link to {email_address.email}.")
    return redirect(next_url)


@require_http_methods(["GET", "POST"])
def invitation_detail(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.by_token(token)
    if invitation is None or not invitation.is_usable:
        # Expired, used, revoked or unknown links all say the same: nothing leaks.
        return render(request, "orgs/invitation_unusable.html", status=404)
    if not invitation.is_backed:
        # Only the invitee holds the link: they are told why, and whom to ask.
        return render(
            request,
            "orgs/invitation_unusable.html",
            {"reason": invitation_void_reason(invitation)},
            status=410,
        )

    form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            assert isinstance(request.user, User)
            return _accept(request, invitation, request.user)
    else:
        existing = User.objects.filter(email__iexact=invitation.email).exists()
        if not existing:
            form = InvitedSignupForm(request.POST or None, invited_email=invitation.email)
            if request.method == "POST" and form.is_valid():
                try:
                    user = user_create_from_invitation(
                        invitation,
                        password=form.cleaned_data["password1"],
                        name=form.cleaned_data["name"],
                    )
                except IntegrityError:  # the same form sent twice at once
                    return redirect_to_login(request.path)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return _accept(request, invitation, user)
    return render(request, "orgs/invitation_detail.html", {"invitation": invitation, "form": form})


def _accept(request: HttpRequest, invitation: Invitation, user: User) -> HttpResponse:
    try:
        membership = invitation_accept(invitation, user)
    except RuleBroken as error:
        messages.error(request, str(error))
        return redirect("home")
    messages.success(request, f"You have joined {membership.organisation.name}.")
    if membership.can_contribute and not membership.can_manage:
        # Staff come to record what is theirs: anything given to them before they joined
        # is on their list of check-ins, with when it is due.
        return redirect("metrics:my_checkins", membership.organisation.slug)
    return redirect(membership.organisation)


# --- Inside an organisation -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def org_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    min_role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    org, membership = get_org_for_user(request, org_slug, min_role=min_role)
    assert isinstance(request.user, User)
    form = OrganisationForm(request.POST or None, instance=org, editor=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                org = form.save()
            except IntegrityError:  # the address was taken a moment ago
                form.add_error(
                    "slug", "That address is taken, or was used by another organisation."
                )
            else:
                messages.success(request, "Settings saved.")
                return redirect("orgs:settings", org.slug)
        # The form has mutated its instance; reload so the page shows what is stored.
        org.refresh_from_db()
    return render(
        request, "orgs/settings.html", {"org": org, "membership": membership, "form": form}
    )


@login_required
@require_GET
def org_export(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Everything the organisation holds, as a zip (orgs.portability says what is in it)."""
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    try:
        content = organisation_export(org)
    except ExportBroken:
        logger.exception("The export of %s refers outside the organisation", org.slug)
        messages.error(
            request,
            "The export could not be made: some of the organisation's data refers to data "
            "outside it. Nothing was downloaded. Please tell us, so we can put it right.",
        )
        return redirect("orgs:settings", org.slug)
    response = HttpResponse(content, content_type="application/zip")
    today = timezone.localdate()
    response["Content-Disposition"] = f'attachment; filename="waymark-{org.slug}-{today}.zip"'
    # Every row the organisation has: not for a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


def _members_context(org: Organisation, membership: Membership) -> dict[str, object]:
    members = list(org.memberships.select_related("user").order_by("user__email"))
    # Invitees' addresses are for the people who manage membership.
    invitations = (
        list(org.invitations.pending().select_related("invited_by"))
        if membership.can_manage
        else []
    )
    by_user: dict[int | None, Membership] = {m.user_id: m for m in members}
    return {
        "org": org,
        "membership": membership,
        "members": members,
        "invitations": invitations,
        # Void once its sender may no longer invite at its role: accepting it is refused.
        "void_invitations": {
            invitation.pk
            for invitation in invitations
            if not policy.can_invite(by_user.get(invitation.invited_by_id), invitation.role)
        },
        "roles": Role.choices,
        "owner_count": org.owner_count(),
    }


@login_required
@require_GET
def member_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    context = _members_context(org, membership)
    context["invite_form"] = InvitationForm(inviter=membership)
    return render(request, "orgs/members.html", context)


@login_required
@require_POST
def member_invite(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    assert isinstance(request.user, User)
    if not request.user.has_verified_email():
        return _verify_first(request, "send invitations")
    form = InvitationForm(request.POST, inviter=membership)
    if form.is_valid():
        assert isinstance(request.user, User)
        try:
            invitation = invitation_send(
                org, form.cleaned_data["email"], form.cleaned_data["role"], request.user
            )
        except RuleBroken as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("orgs:members", org.slug)
    context = _members_context(org, membership)
    context["invite_form"] = form
    return render(request, "orgs/members.html", context, status=400)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, org_slug: str, invitation_uid: str) -> HttpResponse:
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    invitation = get_object_or_404(org.invitations.pending(), uid=invitation_uid)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return redirect("orgs:members", org.slug)


@login_required
@require_POST
def member_role(request: HtmxRequest, org_slug: str, membership_uid: str) -> HttpResponseBase:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    target = get_object_or_404(org.memberships.select_related("user"), uid=membership_uid)
    form = RoleForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose one of the roles offered."
    else:
        try:
            membership_change_role(target, form.cleaned_data["role"], changed_by=membership)
        except RuleBroken as broken:
            error = str(broken)
    target.refresh_from_db()
    if request.htmx:
        context = _members_context(org, membership) | {"m": target, "row_error": error}
        return render(
            request, "orgs/members.html#member_row", context, status=422 if error else 200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{target.user} is now {target.get_role_display().lower()}.")
    return redirect("orgs:members", org.slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, org_slug: str, membership_uid: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    target = get_object_or_404(org.memberships.select_related("user"), uid=membership_uid)
    try:
        membership_remove(target, removed_by=membership)
    except RuleBroken as error:
        messages.error(request, str(error))
        return redirect("orgs:members", org.slug)
    if target.user_id == request.user.pk:
        messages.success(request, f"You have left {org.name}.")
        return redirect("home")
    messages.success(request, f"{target.user} has been removed from {org.name}.")
    return redirect("orgs:members", org.slug)


# --- Teams ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    min_role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    org, membership = get_org_for_user(request, org_slug, min_role=min_role)
    form = TeamForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        team = form.save(commit=False)
        team.organisation = org
        team.slug = unique_slug(org.teams.all(), team.name, fallback="team")
        try:
            with transaction.atomic():
                team.save()
        except IntegrityError:  # created by someone else a moment ago
            form.add_error("name", "There is already a team with this name.")
        else:
            if team.lead:
                TeamMember.objects.get_or_create(team=team, user=team.lead)
            messages.success(request, f"Team {team.name} created.")
            return redirect(team)
    teams = org.teams.select_related("lead").prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("email"))
    )
    return render(
        request,
        "orgs/teams.html",
        {"org": org, "membership": membership, "teams": teams, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_detail(request: HttpRequest, org_slug: str, team_slug: str) -> HttpResponse:
    min_role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    org, membership = get_org_for_user(request, org_slug, min_role=min_role)
    team = get_object_or_404(org.teams.select_related("lead"), slug=team_slug)
    form = TeamForm(request.POST or None, instance=team, organisation=org)
    if request.method == "POST":
        if form.is_valid():
            team = form.save()
            if team.lead:
                TeamMember.objects.get_or_create(team=team, user=team.lead)
            messages.success(request, "Team saved.")
            return redirect(team)
        team.refresh_from_db()
    context = {
        "org": org,
        "membership": membership,
        "team": team,
        "form": form,
        "add_form": TeamMemberForm(team=team),
        "team_members": org.memberships.filter(user__team_memberships__team=team)
        .select_related("user")
        .order_by("user__email"),
    }
    return render(request, "orgs/team_detail.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def team_member_add(request: HttpRequest, org_slug: str, team_slug: str) -> HttpResponse:
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    team = get_object_or_404(org.teams, slug=team_slug)
    form = TeamMemberForm(request.POST, team=team)
    if form.is_valid():
        TeamMember.objects.get_or_create(team=team, user=form.cleaned_data["user"])
        messages.success(request, f"{form.cleaned_data['user']} added to {team.name}.")
    else:
        messages.error(request, "Choose a member of the organisation who is not in the team yet.")
    return redirect(team)


@login_required
@require_POST
def team_member_remove(
    request: HttpRequest, org_slug: str, team_slug: str, membership_uid: str
) -> HttpResponse:
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    team = get_object_or_404(org.teams, slug=team_slug)
    target = get_object_or_404(org.memberships.select_related("user"), uid=membership_uid)
    team.team_members.filter(user=target.user).delete()
    if team.lead_id == target.user_id:
        team.lead = None
        team.save(update_fields=["lead"])
    messages.success(request, f"{target.user} is no longer in {team.name}.")
    return redirect(team)


# --- Where a person is signed in ----------------------------------------------------------


@login_required
@require_POST
def session_end(request: HttpRequest) -> HttpResponse:
    """Sign one of the person's other browsers out (allauth.usersessions lists them)."""
    number = request.POST.get("session", "")
    if not number.isdigit():
        raise Http404
    session = get_object_or_404(UserSession, user=request.user, pk=int(number))
    if session.is_current():
        return redirect("account_logout")
    get_usersessions_adapter().end_sessions([session])
    messages.success(request, "That browser is signed out.")
    return redirect("usersessions_list")


# --- Email preferences, and the signed link that stops them without a login ---


@login_required
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = EmailPreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Email preferences saved.")
        return redirect("email_preferences")
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return render(
        request,
        "orgs/preferences.html",
        {"form": form, "memberships": memberships},
        status=400 if form.errors else 200,
    )


# The signed token is the authority here, not a session: mail clients' one-click
# unsubscribe (RFC 8058) POSTs without a CSRF token, and a forger would need the token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners follow links; they must not unsubscribe anyone); POST, from
    the page's button or the mail client's one-click, does it. An undo switches back."""
    try:
        subscription = subscription_for(token)
    except signing.BadSignature:
        logger.warning("Refused an unsubscribe link with a bad signature")
        return render(request, "orgs/unsubscribe_invalid.html", status=400)
    if subscription is None:
        return render(request, "orgs/unsubscribe.html", {"gone": True})
    context: dict[str, Any] = {"subscription": subscription, "topic": subscription.topic.label}
    if request.method == "POST":
        switch_on = request.POST.get("resubscribe") == "1"
        if subscription.stakeholder is not None:
            # Remembered on the page, so that an undo restores weekly or monthly.
            context["frequency"] = subscription.stakeholder.digest_frequency
        subscription.switch(
            on=switch_on, frequency=request.POST.get("frequency", DigestFrequency.MONTHLY)
        )
        logger.info(
            "%s %s for %s",
            "Resubscribed to" if switch_on else "Unsubscribed from",
            subscription.topic,
            subscription.email,
        )
        context["done"] = "resubscribed" if switch_on else "unsubscribed"
    context["is_on"] = subscription.is_on
    return render(request, "orgs/unsubscribe.html", context)


# --- A stakeholder's confirmation that they want digests (double opt-in) ---


@require_http_methods(["GET", "POST"])
def stakeholder_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners follow links; they must not confirm anything); POST, from
    the page's button, confirms."""
    try:
        stakeholder = stakeholder_for(token)
    except signing.BadSignature:
        return render(request, "orgs/stakeholder_confirm.html", {"invalid": True}, status=400)
    context: dict[str, Any] = {"stakeholder": stakeholder}
    if stakeholder is not None:
        context["organisation_name"] = email_name(stakeholder.organisation)
        if request.method == "POST":
            consent_confirm(stakeholder)
            logger.info("Stakeholder %s confirmed digests", stakeholder.uid)
        context["confirmed"] = stakeholder.email_confirmed_at is not None
    return render(request, "orgs/stakeholder_confirm.html", context)
