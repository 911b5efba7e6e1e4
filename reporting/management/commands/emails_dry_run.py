"""Say which reminders and digests would be sent now, without sending or claiming any."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from metrics.models import Metric
from orgs.models import EmailKind
from reporting.digests import (
    member_digest,
    member_digests_due,
    stakeholder_digest,
    stakeholder_digests_due,
)
from reporting.reminders import pending_reminders


class Command(BaseCommand):
    help = (
        "List the reminders and digests that are due now and not yet sent, as the next "
        "sweep would send them. Reads only: nothing is sent, claimed or recorded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            help="Pretend it is this moment (ISO 8601, e.g. 2026-03-06T09:30+00:00).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = self._moment(options["at"])
        self.stdout.write(f"As of {now:%Y-%m-%d %H:%M %Z}:")
        self._reminders(now)
        self._digests(now)

    def _moment(self, at: str | None) -> datetime:
        if not at:
            return timezone.now()
        try:
            moment = datetime.fromisoformat(at)
        except ValueError as error:
            raise CommandError(f"--at: {error}") from error
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)

    def _reminders(self, now: datetime) -> None:
        emails: dict[tuple[int, int], list[str]] = {}
        recipients: dict[tuple[int, int], str] = {}
        for reminder in pending_reminders(now):
            key = (reminder.recipient.pk, reminder.organisation.pk)
            recipients[key] = f"{reminder.recipient.email} ({reminder.organisation.name})"
            late = " [to the mission owner]" if reminder.kind == EmailKind.ESCALATION else ""
            emails.setdefault(key, []).append(f"“{reminder.metric.name}” {reminder.when}{late}")
        self.stdout.write(f"\nCheck-in reminders: {len(emails)} email(s)")
        for key, lines in emails.items():
            self.stdout.write(f"  {recipients[key]}: {'; '.join(lines)}")
        undated = Metric.objects.filter(next_due_on__isnull=True).count()
        if undated:
            self.stdout.write(f"  ({undated} metric(s) get their first due date at the next sweep)")

    def _digests(self, now: datetime) -> None:
        members = member_digests_due(now)
        self.stdout.write(f"\nWeekly digests: {len(members)} due")
        for membership, period in members:
            digest = member_digest(membership, period, now)
            said = (
                f"{len(digest.missions)} mission(s) with news"
                if digest.worth_sending
                else "nothing worth saying, would be skipped"
            )
            self.stdout.write(
                f"  {membership.user.email} ({membership.organisation.name}, "
                f"{period.label}): {said}"
            )
        stakeholders = stakeholder_digests_due(now)
        self.stdout.write(f"\nStakeholder digests: {len(stakeholders)} due")
        for stakeholder, period in stakeholders:
            s_digest = stakeholder_digest(stakeholder, period, now)
            said = (
                f"{len(s_digest.missions)} mission(s)"
                if s_digest.worth_sending
                else "nothing worth saying, would be skipped"
            )
            self.stdout.write(
                f"  {stakeholder.email} for {stakeholder.name} "
                f"({stakeholder.organisation.name}, {period.label}): {said}"
            )
