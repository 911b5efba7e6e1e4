"""Previewing a member's digest for this week, as it would be sent, in the browser."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from orgs.access import get_org_for_user
from orgs.models import EmailDelivery, Membership, Organisation
from reporting.digests import MemberDigest, member_digest, member_digest_email, member_digest_period

# The email's own HTML, shown in a frame of the preview page: emails are styled inline
# (it is what mail clients render), so this one response allows inline styles, and
# nothing else: no scripts, no forms, framed only by our own page.
EMAIL_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
}


def _member_for(
    request: HttpRequest, org_slug: str, membership_uid: Any
) -> tuple[Organisation, Membership, Membership]:
    """The member whose digest is asked for: admins see anyone's, others only their own."""
    org, membership = get_org_for_user(request, org_slug)
    member = get_object_or_404(
        Membership.objects.select_related("user", "organisation"),
        organisation=org,
        uid=membership_uid,
    )
    if member.pk != membership.pk and not membership.can_manage:
        raise PermissionDenied("Admins preview other people’s digests; you can preview yours.")
    return org, membership, member


def _this_weeks_digest(member: Membership) -> MemberDigest:
    now = timezone.now()
    period = member_digest_period(member, now, upcoming=True)
    assert period is not None
    return member_digest(member, period, now)


@login_required
@require_GET
def member_digest_preview(request: HttpRequest, org_slug: str, membership_uid: Any) -> HttpResponse:
    org, membership, member = _member_for(request, org_slug, membership_uid)
    digest = _this_weeks_digest(member)
    message = member_digest_email(digest, preview=True)
    delivery = EmailDelivery.objects.filter(digest.claim.rows()).first()
    return render(
        request,
        "reporting/digest_preview.html",
        {
            "org": org,
            "membership": membership,
            "member": member,
            "digest": digest,
            "subject": message.subject,
            "text": message.body,
            "delivery": delivery,
            "zone": member.user.zone_in(org),
        },
    )


@login_required
@require_GET
@xframe_options_sameorigin
@csp_override(EMAIL_CSP)
def member_digest_html(request: HttpRequest, org_slug: str, membership_uid: Any) -> HttpResponse:
    _, _, member = _member_for(request, org_slug, membership_uid)
    message = member_digest_email(_this_weeks_digest(member), preview=True)
    html, _ = message.alternatives[0]
    return HttpResponse(html)
