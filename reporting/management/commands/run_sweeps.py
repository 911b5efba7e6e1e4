"""Run the reminder and digest sweeps now, in this process."""

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from orgs.emails import invitation_email_send, invitations_unsent
from reporting.digests import (
    member_digest_send,
    member_digests_due,
    stakeholder_digest_send,
    stakeholder_digests_due,
)
from reporting.reminders import reminder_batches, reminders_send

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send the reminders and digests due now, in this process: what Celery beat and "
        "the workers do every 15 minutes, for running without Redis. Mail goes to the "
        "configured mailer (the console unless EMAIL_HOST is set). Safe to run at any "
        "time, and as often as you like: nothing is sent twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        self.sent = self.failed = 0
        for user_id, organisation_id in reminder_batches(now):
            self._send(
                f"reminders to user {user_id}",
                partial(reminders_send, user_id, organisation_id, now),
            )
        for invitation_id in invitations_unsent():
            self._send(f"invitation {invitation_id}", partial(invitation_email_send, invitation_id))
        for membership, _ in member_digests_due(now):
            self._send(f"digest to {membership}", partial(member_digest_send, membership.pk, now))
        for stakeholder, _ in stakeholder_digests_due(now):
            self._send(
                f"digest to stakeholder {stakeholder}",
                partial(stakeholder_digest_send, stakeholder.pk, now),
            )
        self.stdout.write(f"Sent {self.sent} email(s); {self.failed} failed and will be retried.")

    def _send(self, what: str, send: Callable[[], bool]) -> None:
        # One failure (the server is down, a bug in one digest) must not stop the rest;
        # its claim was given back, so the next run tries it again.
        try:
            if send():
                self.sent += 1
        except Exception:
            self.failed += 1
            logger.exception("Sending %s failed", what)
