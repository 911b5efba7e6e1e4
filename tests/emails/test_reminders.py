"""Check-in reminders over whole months: which emails go out on which days, at what
hour, to whom; and that each goes once."""

import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.deliveries import DeliveryState, deliveries_claim
from metrics.models import Cadence, Metric
from metrics.services import checkin_record
from orgs.models import EmailDelivery, EmailKind, User
from orgs.roles import Role
from reporting.reminders import (
    pending_reminders,
    reminder_batches,
    reminders_send,
    reminders_send_batch,
)
from reporting.tasks import send_reminder_batch, send_reminders, sweep_reminders
from tests.factories import MembershipFactory, MetricFactory, UserFactory

DUE = date(2026, 3, 10)  # a Tuesday; the clocks change in Los Angeles two days before
START = datetime(2026, 2, 28, tzinfo=UTC)


@dataclass(frozen=True)
class Sent:
    to: str
    at: datetime  # UTC
    subject: str
    body: str

    def local(self, zone: str) -> datetime:
        return self.at.astimezone(zoneinfo.ZoneInfo(zone))


def sweep_hourly(traveller, hours: int, on_hour=None) -> list[Sent]:
    """Beat's sweep once an hour (in process), collecting what it sends."""
    sent = []
    for _ in range(hours):
        if on_hour:
            on_hour(timezone.now())
        sweep_reminders()
        sent += [Sent(m.to[0], timezone.now(), m.subject, m.body) for m in mail.outbox]
        mail.outbox.clear()
        traveller.shift(timedelta(hours=1))
    return sent


def person(cast, email: str, zone: str = "", role: str = Role.MEMBER) -> User:
    user = UserFactory(email=email, name=email.split("@")[0].title(), time_zone=zone)
    MembershipFactory(organisation=cast.org, user=user, role=role)
    return user


def days_after_due(sent: list[Sent], to: str, zone: str) -> list[int]:
    mine = [s for s in sent if s.to == to]
    assert all(s.local(zone).hour == 9 for s in mine), [s.local(zone) for s in mine]
    return [(s.local(zone).date() - DUE).days for s in mine]


# Each cadence: the days (from the due date) its owner is reminded, and the days the
# mission owner is told too, once it is a whole cadence late.
EXPECTED = {
    Cadence.WEEKLY: ([-2, 0, 1, 3, 7, 14, 30], [7, 14, 30]),
    Cadence.FORTNIGHTLY: ([-3, 0, 1, 3, 7, 14, 30], [14, 30]),
    Cadence.MONTHLY: ([-5, 0, 1, 3, 7, 14, 30], [30]),
    Cadence.QUARTERLY: ([-7, 0, 1, 3, 7, 14, 30], []),
}
ZONES = ["Pacific/Auckland", "America/Los_Angeles"]


def test_a_month_of_reminders_for_each_cadence_in_two_time_zones(cast, scene):
    """Eight owners (four cadences, two time zones), one metric each, all due on one
    day; beat's sweep every hour for six weeks."""
    owners = {}
    with time_machine.travel(START, tick=False) as traveller:
        for cadence in Cadence:
            for zone in ZONES:
                email = f"{cadence}.{zone.split('/')[1].lower()}@acme.example"
                owners[email] = (cadence, zone)
                MetricFactory(
                    goal=scene.metric.goal,
                    name=f"{cadence} in {zone}",
                    owner=person(cast, email, zone),
                    cadence=cadence,
                )
        Metric.objects.filter(owner__email__in=owners).update(next_due_on=DUE)
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE + timedelta(days=400))

        sent = sweep_hourly(traveller, hours=42 * 24)

    for email, (cadence, zone) in owners.items():
        # Each at 09:00 their time, about their own metric only.
        assert days_after_due(sent, email, zone) == EXPECTED[cadence][0], email
        assert all(f"{cadence} in {zone}" in s.body for s in sent if s.to == email)
    # The mission owner (London: the organisation's zone) is told once per step, with
    # every metric a whole cadence late in one email.
    told = [s for s in sent if s.to == cast.owner.email]
    assert days_after_due(told, cast.owner.email, "Europe/London") == [7, 14, 30]
    for email, days in zip(told, [7, 14, 30], strict=True):
        late = {c for c in Cadence for z in ZONES if f"{c} in {z}" in email.body}
        assert late == {c for c in Cadence if days in EXPECTED[c][1]}, days
    assert {s.to for s in sent} == {*owners, cast.owner.email}


def test_a_check_in_stops_the_reminders_and_the_next_due_date_restarts_them(cast, scene):
    member = cast.member
    metric = scene.metric
    checked_in = []

    def check_in_on_day_two(now: datetime) -> None:
        local = now.astimezone(zoneinfo.ZoneInfo("Europe/London"))
        if local.date() == DUE + timedelta(days=2) and local.hour == 10 and not checked_in:
            checkin_record(
                metric,
                value=Decimal(20),
                for_date=local.date(),
                author=member,
                confidence="on_track",
            )
            checked_in.append(local)

    with time_machine.travel(START, tick=False) as traveller:
        Metric.objects.filter(pk=metric.pk).update(
            next_due_on=DUE, cadence=Cadence.WEEKLY, created_at=START
        )
        metric.refresh_from_db()
        sent = sweep_hourly(traveller, hours=24 * 31, on_hour=check_in_on_day_two)

    assert checked_in
    # Due again a week after the reading (D+9): heads-up, due, then late again.
    assert days_after_due(sent, member.email, "Europe/London") == [-2, 0, 1, 7, 9, 10, 12, 16]
    # A whole cadence late only once: 7 days after the new due date.
    assert days_after_due(sent, cast.owner.email, "Europe/London") == [16]


def test_a_reading_recorded_before_the_hour_means_no_reminder_that_day(cast, scene):
    with time_machine.travel(datetime(2026, 3, 10, 7, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
        sweep_reminders()  # 07:00 in London: not yet their hour
        checkin_record(
            scene.metric, value=Decimal(12), for_date=DUE, author=cast.member, confidence="on_track"
        )
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        sweep_reminders()
    assert mail.outbox == []


def test_the_sweep_twice_and_the_task_twice_send_one_email(cast, scene):
    with time_machine.travel(datetime(2026, 3, 10, 9, 15, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
        sweep_reminders()
        sweep_reminders()
        send_reminders(cast.member.pk, cast.org.pk)
        send_reminders.delay(cast.member.pk, cast.org.pk)
        assert reminders_send(cast.member.pk, cast.org.pk) is False

    assert len(mail.outbox) == 1
    delivery = EmailDelivery.objects.get()
    assert (delivery.kind, delivery.recipient, delivery.state) == (
        EmailKind.REMINDER,
        cast.member.email,
        DeliveryState.SENT,
    )
    assert delivery.period_key == f"{scene.metric.uid}:2026-03-10:due"


def test_a_reminder_links_to_the_prefilled_check_in_form_and_back(cast, scene, client):
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(
            next_due_on=DUE, latest_value=Decimal("17.5000")
        )
        sweep_reminders()
        (email,) = mail.outbox
        assert email.subject == "Acme Missions: “Tonnes of CO2” is due today"
        link = re.search(r"Check in: (\S+)", email.body).group(1)
        url = urlsplit(link)
        assert url.path.startswith("/o/acme/check-in/")  # signed, for them and this metric
        assert url.query == ""

        anonymous = client.get(url.path)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/?next=")

        client.force_login(cast.member)
        form = client.get(url.path)
        assert form.status_code == 200
        assert b'value="17.5"' in form.content
        assert b'name="next" value="/o/acme/my-check-ins/"' in form.content


def test_nobody_is_reminded_who_turned_reminders_off_or_cannot_check_in(cast, scene):
    User.objects.filter(pk=cast.member.pk).update(receive_reminders=False)
    viewer_metric = MetricFactory(goal=scene.metric.goal, owner=cast.viewer)
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk__in=[scene.metric.pk, viewer_metric.pk]).update(next_due_on=DUE)
        sweep_reminders()
    assert mail.outbox == []


def test_a_metric_nobody_owns_reminds_the_mission_owner(cast, scene):
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE, owner=None)
        sweep_reminders()
    (email,) = mail.outbox
    assert email.to == [cast.owner.email]
    assert "Time to check in" in email.alternatives[0][0]


def test_archived_and_paused_missions_send_no_reminders(cast, scene):
    scene.mission.status = "paused"
    scene.mission.save()
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
        sweep_reminders()
    assert mail.outbox == []


def test_a_new_metric_gets_its_first_due_date_from_the_sweep(cast, scene):
    Metric.objects.filter(pk=scene.metric.pk).update(
        next_due_on=None,
        cadence=Cadence.WEEKLY,
        created_at=datetime(2026, 3, 2, 12, tzinfo=UTC),
    )
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        sweep_reminders()
    scene.metric.refresh_from_db()
    # A week after it was added, not after its baseline (1 Jan, the factory's).
    assert scene.metric.next_due_on == date(2026, 3, 9)


def test_an_unknown_time_zone_falls_back_to_the_organisations_and_is_logged(cast, scene, caplog):
    User.objects.filter(pk=cast.member.pk).update(time_zone="Mars/Olympus_Mons")
    cast.org.time_zone = "Asia/Tokyo"
    cast.org.save()
    with time_machine.travel(datetime(2026, 3, 10, 0, tzinfo=UTC), tick=False):  # 09:00 Tokyo
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
        with caplog.at_level(logging.WARNING, logger="orgs.models"):
            sweep_reminders()
    assert [m.to for m in mail.outbox] == [[cast.member.email]]
    assert "unknown time zone 'Mars/Olympus_Mons'" in caplog.text


def test_a_bouncing_address_is_logged_and_the_rest_of_the_batch_goes(
    cast, scene, troubled_mail, caplog
):
    bouncer = person(cast, "bounce@acme.example")
    MetricFactory(goal=scene.metric.goal, owner=bouncer)
    troubled_mail.refused = {"bounce@acme.example"}
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(mission=scene.mission).update(next_due_on=DUE)
        with caplog.at_level(logging.WARNING):
            sweep_reminders()
            sweep_reminders()

    assert [m.to for m in mail.outbox] == [[cast.member.email]]
    bounced = EmailDelivery.objects.get(recipient="bounce@acme.example")
    assert bounced.state == DeliveryState.BOUNCED
    assert "refused" in caplog.text


def test_when_the_mail_server_is_down_the_claim_is_given_back_for_a_later_try(
    cast, scene, troubled_mail
):
    troubled_mail.down = True
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
        with pytest.raises(ConnectionRefusedError):
            reminders_send(cast.member.pk, cast.org.pk)
        delivery = EmailDelivery.objects.get()
        assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
        assert "Connection refused" in delivery.error

    troubled_mail.down = False
    with time_machine.travel(datetime(2026, 3, 10, 9, 15, tzinfo=UTC), tick=False):
        sweep_reminders()
        sweep_reminders()
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)


def test_a_send_that_keeps_failing_is_given_up_after_a_day(cast, scene, troubled_mail):
    troubled_mail.down = True
    Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
    for hour in (datetime(2026, 3, 13, 9, tzinfo=UTC), datetime(2026, 3, 13, 20, tzinfo=UTC)):
        with time_machine.travel(hour, tick=False), pytest.raises(ConnectionRefusedError):
            reminders_send(cast.member.pk, cast.org.pk)  # 3 days late: worth retrying
    troubled_mail.down = False
    with time_machine.travel(datetime(2026, 3, 14, 10, tzinfo=UTC), tick=False):
        sweep_reminders()  # still "3 days late", but a day on: stale, given up
    assert mail.outbox == []
    delivery = EmailDelivery.objects.get()
    assert (delivery.period_key, delivery.state, delivery.attempts) == (
        f"{scene.metric.uid}:2026-03-10:late-3",
        DeliveryState.FAILED,
        2,
    )


def test_no_reminder_names_a_private_mission_to_someone_who_cannot_see_it(cast, scene):
    mission = scene.metric.mission
    mission.visibility = "private"
    mission.owner = cast.admin
    mission.save()
    with time_machine.travel(datetime(2026, 3, 10, 9, 15, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE, owner=cast.member)
        sweep_reminders()

    assert cast.member.email not in [to for m in mail.outbox for to in m.to]


def more_owners_due(cast, scene, n: int) -> None:
    for i in range(n):
        owner = person(cast, f"owner{i}@acme.example", zone=ZONES[i % 2])
        metric = MetricFactory(goal=scene.metric.goal, owner=owner, name=f"Metric {i}")
        Metric.objects.filter(pk=metric.pk).update(next_due_on=DUE - timedelta(days=8))


def test_the_sweep_selects_in_a_fixed_number_of_queries_however_many_metrics_and_people(
    cast, scene
):
    Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE - timedelta(days=8))
    now = datetime(2026, 3, 10, 21, tzinfo=UTC)
    with CaptureQueriesContext(connection) as few:
        assert len(reminder_batches(now)) == 1
    more_owners_due(cast, scene, 6)
    with CaptureQueriesContext(connection) as many:
        assert len(reminder_batches(now)) == 7
    assert len(many) == len(few)


def test_the_sweep_batches_the_claims_its_emails_will_make(cast, scene):
    """What the sweep selects from rows is what each email, reading its metrics in full,
    claims: the same recipients, organisations and claims."""
    more_owners_due(cast, scene, 4)
    Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
    now = datetime(2026, 3, 10, 21, tzinfo=UTC)
    expected: dict[tuple[int, int], list] = {}
    for reminder in pending_reminders(now):
        key = (reminder.recipient.pk, reminder.organisation.pk)
        expected.setdefault(key, []).append(reminder.claim)
    assert len(expected) == 5
    assert reminder_batches(now) == expected


def test_an_owner_who_belongs_to_another_organisation_only_is_not_reminded(cast, scene):
    """The owner's membership is looked up in the metric's own organisation: an owner of
    another one (who has left this one, say) may not check in here."""
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE, owner=cast.outsider)
        sweep_reminders()
        assert mail.outbox == []
        Metric.objects.filter(pk=scene.metric.pk).update(owner=cast.admin)
        sweep_reminders()
    assert [m.to for m in mail.outbox] == [[cast.admin.email]]


def test_the_sweep_reads_memberships_by_join_not_a_subquery_for_each_metric(cast, scene):
    """A subquery for each metric made PostgreSQL estimate a sweep over some thousands of
    metrics costly enough to compile it first (JIT), which took most of a second."""
    Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
    with CaptureQueriesContext(connection) as queries:
        assert len(reminder_batches(datetime(2026, 3, 10, 9, tzinfo=UTC))) == 1
    (selection,) = [q["sql"] for q in queries if 'FROM "metrics_metric"' in q["sql"]][-1:]
    assert "EXISTS" not in selection.upper()
    assert selection.count('"orgs_membership"') == 2  # the owner's and the mission owner's


def test_a_sweep_of_some_organisations_selects_theirs_only(cast, scene):
    Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
    elsewhere = MetricFactory(goal__mission__organisation=cast.other_org, owner=cast.outsider)
    Metric.objects.filter(pk=elsewhere.pk).update(next_due_on=DUE)
    now = datetime(2026, 3, 10, 9, tzinfo=UTC)
    assert set(reminder_batches(now)) == {
        (cast.member.pk, cast.org.pk),
        (cast.outsider.pk, cast.other_org.pk),
    }
    assert set(reminder_batches(now, [cast.other_org.pk])) == {
        (cast.outsider.pk, cast.other_org.pk)
    }
    assert set(reminder_batches(now, [cast.org.pk, cast.other_org.pk])) == set(
        reminder_batches(now)
    )


# ---- Reminders sent in batches, as digests are ----


def test_one_batch_sends_each_person_their_own_email_in_a_fixed_number_of_queries(cast, scene):
    Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE - timedelta(days=8))
    now = datetime(2026, 3, 10, 21, tzinfo=UTC)
    with CaptureQueriesContext(connection) as few:
        assert reminders_send_batch(cast.org.pk, [cast.member.pk], now) == 1
    EmailDelivery.objects.all().delete()
    mail.outbox.clear()
    more_owners_due(cast, scene, 6)
    people = list(reminder_batches(now))
    with CaptureQueriesContext(connection) as many:
        assert reminders_send_batch(cast.org.pk, [user_id for user_id, _ in people], now) == 7
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        User.objects.get(pk=user_id).email for user_id, _ in people
    )
    assert len(many) == len(few)
    assert set(EmailDelivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    # Run again (a retried task, a second worker): nothing more goes.
    assert reminders_send_batch(cast.org.pk, [user_id for user_id, _ in people], now) == 0
    assert len(mail.outbox) == 7


def test_a_batch_sends_only_the_reminders_it_claimed(cast, scene):
    """Another sender holds one of a person's reminders: their email names the others."""
    held = MetricFactory(goal=scene.metric.goal, owner=cast.member, name="Held elsewhere")
    Metric.objects.filter(pk__in=[scene.metric.pk, held.pk]).update(next_due_on=DUE)
    now = datetime(2026, 3, 10, 21, tzinfo=UTC)
    (other_sender,) = [r for r in pending_reminders(now) if r.metric.pk == held.pk]
    assert deliveries_claim(cast.org.pk, [other_sender.claim]) == [other_sender.claim]

    assert reminders_send_batch(cast.org.pk, [cast.member.pk], now) == 1
    (message,) = mail.outbox
    assert scene.metric.name in message.body
    assert "Held elsewhere" not in message.body


def test_the_sweep_enqueues_one_task_per_organisation_batch(cast, scene, settings):
    more_owners_due(cast, scene, 3)
    elsewhere = MetricFactory(goal__mission__organisation=cast.other_org, owner=cast.outsider)
    Metric.objects.filter(pk__in=[scene.metric.pk, elsewhere.pk]).update(
        next_due_on=DUE - timedelta(days=8)
    )
    with (
        time_machine.travel(datetime(2026, 3, 10, 21, tzinfo=UTC), tick=False),
        mock.patch.object(send_reminder_batch, "delay") as delay,
    ):
        assert sweep_reminders() == 5
    batches = sorted((c.args[0], sorted(c.args[1])) for c in delay.call_args_list)
    owners = sorted(
        u for u, o in reminder_batches(datetime(2026, 3, 10, 21, tzinfo=UTC)) if o == cast.org.pk
    )
    assert batches == sorted([(cast.org.pk, owners), (cast.other_org.pk, [cast.outsider.pk])])
