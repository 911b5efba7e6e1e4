"""Running the sweeps without Redis, and asking what would be sent."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from metrics.models import Metric
from orgs.models import EmailDelivery
from tests.emails.conftest import MONDAY, at
from tests.factories import MetricFactory


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_run_sweeps_sends_what_is_due_in_process_once(cast, busy_week):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        first = run("run_sweeps")
        second = run("run_sweeps")
    # The owner's late metric (a reminder), three digests (owner, admin, member) and no
    # stakeholder (none consents here).
    assert "Sent 4 email(s); 0 failed" in first
    assert "Sent 0 email(s); 0 failed" in second
    assert len(mail.outbox) == 4


def test_run_sweeps_goes_on_past_a_bounce_and_a_failure(cast, busy_week, troubled_mail):
    troubled_mail.refused = {cast.owner.email}
    with time_machine.travel(at(MONDAY, 9), tick=False):
        output = run("run_sweeps")
    assert "Sent 2 email(s); 0 failed" in output  # the admin's and the member's digests
    troubled_mail.down = True
    Metric.objects.filter(pk=busy_week.metric.pk).update(next_due_on=date(2026, 3, 10))
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        output = run("run_sweeps")
    assert "Sent 0 email(s); 1 failed and will be retried" in output


def test_the_dry_run_says_what_would_go_and_sends_nothing(cast, busy_week, supplier):
    MetricFactory(goal=busy_week.metric.goal, owner=cast.member, next_due_on=None)
    with time_machine.travel(at(MONDAY, 9), tick=False):
        output = run("emails_dry_run")
    assert "Check-in reminders: 1 email(s)" in output
    assert "owner@acme.example (Acme Missions): “Fleet miles” 8 days late" in output
    assert "(1 metric(s) get their first due date at the next sweep)" in output
    assert "member@acme.example (Acme Missions, 2–8 Mar 2026): 1 mission(s) with news" in output
    assert "viewer@acme.example (Acme Missions, 2–8 Mar 2026): nothing worth saying" in output
    assert "dev@greenfold.example for Greenfold Packaging" in output
    assert mail.outbox == []
    assert not EmailDelivery.objects.exists()
    assert Metric.objects.filter(next_due_on__isnull=True).count() == 1


def test_the_dry_run_can_look_at_another_moment(cast, busy_week):
    output = run("emails_dry_run", "--at", "2026-03-09T09:30")
    assert "As of 2026-03-09 09:30" in output
    with pytest.raises(CommandError):
        run("emails_dry_run", "--at", "next tuesday")
