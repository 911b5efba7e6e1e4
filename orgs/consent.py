"""Stakeholders confirm by email that they want digests (double opt-in).

Ticking "consents to email" only asks: the stakeholder is sent a signed link, and digests
go to them once they have followed it. The link names the stakeholder and the address it
was sent to, so it confirms nothing once the address has been changed; it works for
CONFIRMATION_DAYS.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from orgs.models import Stakeholder

SALT = "waymark.stakeholder-consent"
CONFIRMATION_DAYS = 14


def confirmation_token(stakeholder: Stakeholder) -> str:
    return signing.dumps(
        [stakeholder.uid.hex, stakeholder.email.lower()], salt=SALT, compress=False
    )


def confirmation_url(stakeholder: Stakeholder) -> str:
    return settings.SITE_URL + reverse(
        "stakeholder_confirm", args=[confirmation_token(stakeholder)]
    )


def stakeholder_for(token: str) -> Stakeholder | None:
    """The stakeholder the link was sent to, if it still has that address and consent;
    None otherwise. Raises `signing.BadSignature` (or `SignatureExpired`) for a link that
    was not made here, was changed or is too old."""
    payload = signing.loads(token, salt=SALT, max_age=timedelta(days=CONFIRMATION_DAYS))
    if not (isinstance(payload, list) and len(payload) == 2):
        raise signing.BadSignature("unexpected payload")
    uid, email = payload
    stakeholder = Stakeholder.objects.select_related("organisation").filter(uid=uid).first()
    if stakeholder is None or not stakeholder.consent_to_email:
        return None
    if stakeholder.email.lower() != str(email):
        return None
    return stakeholder


def consent_confirm(stakeholder: Stakeholder) -> None:
    if stakeholder.email_confirmed_at is None:
        stakeholder.email_confirmed_at = timezone.now()
        stakeholder.save(update_fields=["email_confirmed_at"])
