"""Check-in reminders: beat's sweep finds who is due one; a task per email sends it.

Both take ids (or nothing) and call metrics.reminders, which claims every send in the
database first, so a task run twice, two workers or two beats send each email once.
`at`, an ISO 8601 moment, runs a sweep as of then (benchmarks, replays); the tasks it
enqueues use the same moment. Left out, it is now.
"""

from celery import shared_task

from core.enqueue import enqueue
from metrics import reminders
from orgs.emails import moment
from orgs.tasks import SMTP_RETRY


@shared_task(**SMTP_RETRY)
def send_reminders(user_id: int, organisation_id: int, at: str | None = None) -> bool:
    return reminders.reminders_send(user_id, organisation_id, moment(at))


@shared_task
def sweep_reminders(at: str | None = None, organisation_id: int | None = None) -> int:
    """Enqueue an email for everyone with reminders due now (from one organisation, if
    given). Returns how many."""
    only = None if organisation_id is None else [organisation_id]
    batches = reminders.reminder_batches(moment(at), only)
    return sum(enqueue(send_reminders, user_id, org_id, at) for user_id, org_id in batches)
