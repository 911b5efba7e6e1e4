"""Digests: beat's sweep finds whose digest is due; a task per digest sends it.

Both take ids (or nothing) and call missions.digests, which claims every send in the
database first, so a task run twice, two workers or two beats send each digest once.
"""

from celery import shared_task
from django.utils import timezone

from missions import digests
from orgs.enqueue import enqueue
from orgs.tasks import SMTP_RETRY


@shared_task(**SMTP_RETRY)
def send_member_digest(membership_id: int) -> bool:
    return digests.member_digest_send(membership_id)


@shared_task(**SMTP_RETRY)
def send_stakeholder_digest(stakeholder_id: int) -> bool:
    return digests.stakeholder_digest_send(stakeholder_id)


@shared_task
def sweep_digests() -> int:
    """Enqueue every digest due now. Returns how many."""
    now = timezone.now()
    members = digests.member_digests_due(now)
    stakeholders = digests.stakeholder_digests_due(now)
    return sum(enqueue(send_member_digest, m.pk) for m, _ in members) + sum(
        enqueue(send_stakeholder_digest, s.pk) for s, _ in stakeholders
    )
