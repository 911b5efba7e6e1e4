"""Reminders and digests. Beat's sweeps find who is due one; a task per batch of people
from one organisation sends them.

Both take ids (or nothing) and call reporting.reminders or reporting.digests, which claim
every send in the database first, so a task run twice, two workers or two beats send each
email once.
`at`, an ISO 8601 moment, runs a sweep as of then (benchmarks, replays); the tasks it
enqueues use the same moment. Left out, it is now.
"""

from collections import defaultdict
from itertools import batched

from celery import shared_task

from core.deliveries import moment
from core.enqueue import enqueue
from orgs.tasks import SMTP_RETRY
from reporting import digests, reminders

# Digests sent by one task: members' missions' news is read and rendered once for all
# of them, and all go over one connection to the mail server. Small enough that a retry
# after a failure repeats little (what was sent is claimed, and is not sent again).
DIGEST_BATCH = 500
# Reminder emails sent by one task, for the same reasons: the schedule is read once for
# all of them, and they share a connection.
REMINDER_BATCH = 500


@shared_task(**SMTP_RETRY)
def send_member_digest(membership_id: int, at: str | None = None) -> bool:
    return digests.member_digest_send(membership_id, moment(at))


@shared_task(**SMTP_RETRY)
def send_member_digests(membership_ids: list[int], at: str | None = None) -> int:
    return digests.member_digests_send(membership_ids, moment(at))


@shared_task(**SMTP_RETRY)
def send_stakeholder_digest(stakeholder_id: int, at: str | None = None) -> bool:
    return digests.stakeholder_digest_send(stakeholder_id, moment(at))


@shared_task(**SMTP_RETRY)
def send_stakeholder_digests(stakeholder_ids: list[int], at: str | None = None) -> int:
    return digests.stakeholder_digests_send(stakeholder_ids, moment(at))


@shared_task
def sweep_digests(at: str | None = None, organisation_id: int | None = None) -> int:
    """Enqueue every digest due now (of one organisation, if given), in batches from one
    organisation. Returns how many digests."""
    now = moment(at)
    members: dict[int, list[int]] = defaultdict(list)
    for membership, _ in digests.member_digests_due(now, organisation_id):
        members[membership.organisation_id].append(membership.pk)
    stakeholders: dict[int, list[int]] = defaultdict(list)
    for stakeholder, _ in digests.stakeholder_digests_due(now, organisation_id):
        stakeholders[stakeholder.organisation_id].append(stakeholder.pk)
    return sum(
        len(batch)
        for task, due in ((send_member_digests, members), (send_stakeholder_digests, stakeholders))
        for ids in due.values()
        for batch in batched(ids, DIGEST_BATCH)
        if enqueue(task, list(batch), at)
    )


@shared_task(**SMTP_RETRY)
def send_reminders(user_id: int, organisation_id: int, at: str | None = None) -> bool:
    return reminders.reminders_send(user_id, organisation_id, moment(at))


@shared_task(**SMTP_RETRY)
def send_reminder_batch(organisation_id: int, user_ids: list[int], at: str | None = None) -> int:
    return reminders.reminders_send_batch(organisation_id, user_ids, moment(at))


@shared_task
def sweep_reminders(at: str | None = None, organisation_id: int | None = None) -> int:
    """Enqueue the reminder emails due now (from one organisation, if given), in batches
    of people from one organisation, as digests are. Returns how many emails."""
    only = None if organisation_id is None else [organisation_id]
    people: dict[int, list[int]] = defaultdict(list)
    for user_id, org_id in reminders.reminder_batches(moment(at), only):
        people[org_id].append(user_id)
    return sum(
        len(batch)
        for org_id, user_ids in people.items()
        for batch in batched(user_ids, REMINDER_BATCH)
        if enqueue(send_reminder_batch, org_id, list(batch), at)
    )
