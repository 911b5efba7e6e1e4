"""Emails from an organisation: invitations, and what every reminder and digest carries.

core.deliveries sends each one once.
"""

import logging
import unicodedata
from datetime import timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import request_ids
from core.deliveries import OneLineHeader
from core.tokens import new_token, token_digest
from orgs.models import Invitation, Organisation, Stakeholder

logger = logging.getLogger(__name__)

# The List-Unsubscribe-Post value that asks mail clients for one-click unsubscribe.
ONE_CLICK = "List-Unsubscribe=One-Click"


def invitation_email_send(invitation_id: int) -> bool:
    """Send the invitation once. Returns whether this call sent it.

    Its token is made here, and lives only in the email: the row keeps its digest.
    """
    token = new_token()
    # The conditional update claims the send, and stores the new token's digest with the
    # claim: a task delivered twice sends one email, whose link is the one that works.
    claimed = Invitation.objects.filter(
        pk=invitation_id, sent_at__isnull=True, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(sent_at=timezone.now(), token_hash=token_digest(token))
    if not claimed:
        return False
    invitation = Invitation.objects.select_related("organisation", "invited_by").get(
        pk=invitation_id
    )
    if not invitation.is_backed:
        # Its sender was demoted or left before it went out: it would be refused anyway.
        logger.info("Invitation %s is void; its email was not sent", invitation.uid)
        return False
    invitation.token = token
    context = {
        "invitation": invitation,
        "organisation_name": email_name(invitation.organisation),
        "accept_url": settings.SITE_URL + invitation.get_accept_url(),
    }
    message = EmailMultiAlternatives(
        subject=f"You're invited to {email_name(invitation.organisation)} on Waymark",
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    try:
        request_ids.stamp(message).send()
    except Exception:
        # Give the send back so the retry can claim it again (with a token of its own).
        Invitation.objects.filter(pk=invitation_id).update(sent_at=None)
        raise
    return True


def stakeholder_confirmation_send(stakeholder_id: int) -> bool:
    """Ask a stakeholder to confirm they want digests. Returns whether it was sent.

    Not claimed like a digest: it is asked for once per consent (orgs.services
    .stakeholder_save), and a second copy of it asks the same question.
    """
    from orgs.consent import confirmation_url

    stakeholder = (
        Stakeholder.objects.select_related("organisation").filter(pk=stakeholder_id).first()
    )
    if stakeholder is None or not stakeholder.awaits_confirmation:
        return False
    organisation = stakeholder.organisation
    context = {
        "stakeholder": stakeholder,
        "organisation_name": email_name(organisation),
        "confirm_url": confirmation_url(stakeholder),
    }
    message = EmailMultiAlternatives(
        subject=subject_line(organisation, "please confirm you want progress updates"),
        body=render_to_string("emails/stakeholder_confirm.txt", context),
        from_email=from_address(organisation),
        to=[stakeholder.email],
        headers=dict(_FIXED_HEADERS_WITHOUT_UNSUBSCRIBE),
    )
    message.attach_alternative(
        render_to_string("emails/stakeholder_confirm.html", context), "text/html"
    )
    request_ids.stamp(message).send()
    return True


# Automatic mail: out-of-office replies should not answer it (RFC 3834).
_FIXED_HEADERS_WITHOUT_UNSUBSCRIBE = {"Auto-Submitted": "auto-generated"}
# The same for every email that people can unsubscribe from.
_FIXED_HEADERS = {
    # One-click unsubscribe (RFC 8058).
    "List-Unsubscribe-Post": ONE_CLICK,
    **_FIXED_HEADERS_WITHOUT_UNSUBSCRIBE,
}


# How much of an organisation's name a subject or sender shows. Anyone may sign up and
# name an organisation anything: a long name is a line of its own to phish with.
EMAIL_NAME_LENGTH = 40


def email_name(organisation: Organisation) -> str:
    """The organisation's name as emails' headers show it: on one line, without control or
    formatting characters (such as right-to-left overrides), and cut to EMAIL_NAME_LENGTH."""
    printable = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in organisation.name
    )
    name = " ".join(printable.split())
    if len(name) > EMAIL_NAME_LENGTH:
        name = name[: EMAIL_NAME_LENGTH - 1].rstrip() + "…"
    return name or "An organisation"


def from_address(organisation: Organisation) -> str:
    """The site's sending address, with the organisation's name to show."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((f"{email_name(organisation)} via Waymark", address))


def subject_line(organisation: Organisation, text: str) -> str:
    return " ".join(f"{email_name(organisation)}: {text}".split())


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
