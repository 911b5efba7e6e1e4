"""Emails about people and organisations."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from orgs.models import Invitation


def invitation_email_send(invitation_id: int) -> bool:
    """Send the invitation once. Returns whether this call sent it."""
    # The conditional update claims the send: a task delivered twice sends one email.
    claimed = Invitation.objects.filter(
        pk=invitation_id, sent_at__isnull=True, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(sent_at=timezone.now())
    if not claimed:
        return False
    invitation = Invitation.objects.select_related("organisation", "invited_by").get(
        pk=invitation_id
    )
    context = {
        "invitation": invitation,
        "accept_url": settings.SITE_URL + invitation.get_accept_url(),
    }
    message = EmailMultiAlternatives(
        subject=f"You're invited to {invitation.organisation.name} on Waymark",
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    try:
        message.send()
    except Exception:
        # Give the send back so the retry can claim it again.
        Invitation.objects.filter(pk=invitation_id).update(sent_at=None)
        raise
    return True
