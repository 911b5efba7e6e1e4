from celery import shared_task

from core import pruning
from core.enqueue import enqueue
from orgs import emails

# How email tasks retry: SMTP errors are OSErrors. Backoff is capped so that a retry is
# never scheduled far ahead; after the last one, a later sweep tries the send again.
SMTP_RETRY = {
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**SMTP_RETRY)
def send_invitation_email(invitation_id: int) -> None:
    emails.invitation_email_send(invitation_id)


@shared_task(**SMTP_RETRY)
def send_stakeholder_confirmation(stakeholder_id: int) -> None:
    emails.stakeholder_confirmation_send(stakeholder_id)


@shared_task
def sweep_invitations() -> None:
    """Send what an outage left unsent: an invitation saved while Redis was down."""
    for invitation_id in emails.invitations_unsent():
        enqueue(send_invitation_email, invitation_id)


@shared_task
def prune_records() -> dict[str, int]:
    """Beat's daily prune: what every app registered (core.pruning)."""
    return pruning.prune_all()
