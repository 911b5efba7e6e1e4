"""Emails from an organisation: invitations, and what every reminder and digest carries.

core.deliveries sends each one once.
"""

from datetime import timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.deliveries import OneLineHeader
from orgs.models import Invitation, Organisation

# The List-Unsubscribe-Post value that asks mail clients for one-click unsubscribe.
ONE_CLICK = "List-Unsubscribe=One-Click"


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


# The same for every email.
_FIXED_HEADERS = {
    # One-click unsubscribe (RFC 8058).
    "List-Unsubscribe-Post": ONE_CLICK,
    # Automatic mail: out-of-office replies should not answer it (RFC 3834).
    "Auto-Submitted": "auto-generated",
}


def from_address(organisation: Organisation) -> str:
    """The site's sending address, with the organisation's name to show."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # A header is one line, whatever was typed as the organisation's name.
    name = " ".join(organisation.name.split())
    return formataddr((f"{name} via Waymark", address))


def subject_line(organisation: Organisation, text: str) -> str:
    return " ".join(f"{organisation.name}: {text}".split())


def organisation_email(
    organisation: Organisation,
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    unsubscribe_url: str,
) -> EmailMultiAlternatives:
    """A multipart email from an organisation, with the links and headers every one of
    these emails carries: one-click unsubscribe (RFC 8058) and a way to the preferences."""
    context = context | {
        "organisation": organisation,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": settings.SITE_URL + reverse("email_preferences"),
    }
    message = EmailMultiAlternatives(
        subject=subject_line(organisation, subject),
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=from_address(organisation),
        to=[to],
        headers={
            "List-Unsubscribe": OneLineHeader("List-Unsubscribe", f"<{unsubscribe_url}>"),
            **_FIXED_HEADERS,
        },
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message


# Long enough for the task enqueued at the invitation's commit to have run.
UNSENT_GRACE = timedelta(minutes=5)


def invitations_unsent() -> list[int]:
    """Open invitations whose email never went out (their send was never enqueued)."""
    cutoff = timezone.now() - UNSENT_GRACE
    return list(
        Invitation.objects.pending()
        .filter(sent_at__isnull=True, created_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
