"""Check-in reminders: beat's sweep finds who is due one; a task per email sends it. And
the nightly check of the stored figures.

Both take ids (or nothing) and call metrics.reminders, which claims every send in the
database first, so a task run twice, two workers or two beats send each email once.
`at`, an ISO 8601 moment, runs a sweep as of then (benchmarks, replays); the tasks it
enqueues use the same moment. Left out, it is now.
"""

import logging

from celery import shared_task

from metrics import reminders
from metrics.figures import figures_recompute
from orgs.emails import moment
from orgs.enqueue import enqueue
from orgs.tasks import SMTP_RETRY

logger = logging.getLogger(__name__)


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


@shared_task
def sweep_figures() -> int:
    """Recompute every stored figure and fix any that drifted from its rows (a write
    that went around the ORM, a bug): as recompute_figures does. Returns how many."""
    drift = figures_recompute()
    for found in drift:
        logger.warning("Stored figure drifted: %s", found)
    logger.info("Stored figures checked: %d had drifted and are fixed", len(drift))
    return len(drift)
