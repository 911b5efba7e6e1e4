"""Check-in reminders: beat's sweep finds who is due one; a task per email sends it.

Both take ids (or nothing) and call metrics.reminders, which claims every send in the
database first, so a task run twice, two workers or two beats send each email once.
"""

from celery import shared_task
from django.utils import timezone

from metrics import reminders
from orgs.enqueue import enqueue
from orgs.tasks import SMTP_RETRY


@shared_task(**SMTP_RETRY)
def send_reminders(user_id: int, organisation_id: int) -> bool:
    return reminders.reminders_send(user_id, organisation_id)


@shared_task
def sweep_reminders() -> int:
    """Enqueue an email for everyone with reminders due now. Returns how many."""
    batches = reminders.reminder_batches(timezone.now())
    return sum(enqueue(send_reminders, user_id, org_id) for user_id, org_id in batches)
