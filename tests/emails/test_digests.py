"""Weekly digests to members and digests to stakeholders: when they come, what they say,
what they never say, and that each goes once."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.policy import SMTP

import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.deliveries import DeliveryState
from metrics.models import Metric
from metrics.services import checkin_record
from orgs.models import EmailDelivery, EmailKind, Membership, Stakeholder, User
from reporting.digests import (
    member_digest,
    member_digest_period,
    member_digest_send,
    stakeholder_digest_send,
)
from reporting.tasks import send_member_digest, sweep_digests
from tests.emails.conftest import MONDAY, at
from tests.factories import GoalFactory, IdeaFactory, MetricFactory, MissionFactory


def sweep_hourly(start: datetime, hours: int) -> list[tuple[datetime, object]]:
    sent = []
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(hours):
            sweep_digests()
            sent += [(timezone.now(), message) for message in mail.outbox]
            mail.outbox.clear()
            traveller.shift(timedelta(hours=1))
    return sent


def test_the_weekly_digest_comes_on_the_first_day_of_the_week_at_their_hour(cast, busy_week):
    sent = sweep_hourly(at(MONDAY - timedelta(days=1), 0), hours=72)

    mine = [(when, m) for when, m in sent if m.to == [cast.member.email]]
    assert [when for when, _ in mine] == [at(MONDAY, 9)]  # London is on GMT in March
    ((_, email),) = mine
    assert email.subject == "Acme Missions: your missions’ week, 2–8 Mar 2026"
    text = email.body
    assert "== Net zero ==" in text
    assert "50\xa0% of the way, on track." in text  # 30 is half way from 10 to 50
    assert "Status changed: At risk -> On track" in text
    assert "- Tonnes of CO2: now 30, +20, better (4 Mar by Acme Member)" in text
    assert "- Fleet miles: check-in due 1 Mar, Acme Owner" in text
    assert "- Secret idea: e-bikes, by Acme Viewer" in text
    # The owner owns the mission, the admin sees everything; the viewer is part of none.
    assert sorted(m.to[0] for _, m in sent) == sorted(
        [cast.owner.email, cast.admin.email, cast.member.email]
    )
    assert EmailDelivery.objects.get(recipient=cast.viewer.email).state == DeliveryState.SKIPPED


def test_the_html_digest_draws_progress_as_table_cells_not_svg(cast, busy_week):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        member_digest_send(cast.membership(cast.member).pk)
    (email,) = mail.outbox
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "<svg" not in html
    assert 'role="presentation"' in html
    assert 'width="50%"' in html  # 30 is half way from 10 to 50
    assert "<strong>50\xa0%</strong> · On track" in html
    assert "At risk → On track" in html


def test_their_own_day_hour_and_time_zone(cast, busy_week):
    User.objects.filter(pk=cast.member.pk).update(
        digest_weekday=4, reminder_hour=7, time_zone="Asia/Tokyo"
    )
    sent = sweep_hourly(at(MONDAY, 0), hours=24 * 7)
    mine = [when for when, m in sent if m.to == [cast.member.email]]
    # Friday 13 March, 07:00 in Tokyo.
    assert mine == [datetime(2026, 3, 12, 22, tzinfo=UTC)]


def test_no_digest_when_there_is_nothing_worth_saying(cast, scene):
    Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=date(2026, 3, 20))
    with time_machine.travel(at(MONDAY, 9), tick=False):
        sweep_digests()
        sweep_digests()
    assert mail.outbox == []
    skipped = EmailDelivery.objects.filter(kind=EmailKind.DIGEST).values_list("state", flat=True)
    assert set(skipped) == {DeliveryState.SKIPPED}


def test_no_digest_for_someone_who_turned_it_off(cast, busy_week):
    User.objects.filter(pk=cast.member.pk).update(receive_digest=False)
    with time_machine.travel(at(MONDAY, 9), tick=False):
        sweep_digests()
        assert member_digest_send(cast.membership(cast.member).pk) is False
    assert cast.member.email not in [m.to[0] for m in mail.outbox]


def test_the_sweep_twice_and_the_task_twice_send_one_digest(cast, busy_week):
    membership = cast.membership(cast.member)
    with time_machine.travel(at(MONDAY, 9, 30), tick=False):
        sweep_digests()
        sweep_digests()
        send_member_digest(membership.pk)
        send_member_digest.delay(membership.pk)
    assert [m.to for m in mail.outbox].count([cast.member.email]) == 1
    # Later that week, and on Sunday night, it is still sent.
    with time_machine.travel(at(MONDAY + timedelta(days=6), 23), tick=False):
        sweep_digests()
    assert [m.to for m in mail.outbox].count([cast.member.email]) == 1


def test_a_digest_costs_the_same_queries_however_many_missions(cast, busy_week):
    membership = Membership.objects.select_related("user", "organisation").get(
        pk=cast.membership(cast.member).pk
    )
    with time_machine.travel(at(MONDAY, 9), tick=False):
        period = member_digest_period(membership, timezone.now())
        with CaptureQueriesContext(connection) as few:
            member_digest(membership, period)
        for n in range(4):
            mission = MissionFactory(organisation=cast.org, owner=cast.member)
            for goal in GoalFactory.create_batch(2, mission=mission):
                for metric in MetricFactory.create_batch(2, goal=goal, owner=cast.member):
                    checkin_record(
                        metric,
                        value=Decimal(20 + n),
                        for_date=date(2026, 3, 4),
                        author=cast.member,
                        confidence="on_track",
                    )
            IdeaFactory(mission=mission)
        with CaptureQueriesContext(connection) as many:
            digest = member_digest(membership, period)
    assert len(digest.news) == 5
    assert len(many.captured_queries) == len(few.captured_queries)


# ---- Stakeholders ----


def test_a_stakeholder_hears_only_what_is_shareable(cast, supplier):
    sent = sweep_hourly(at(MONDAY, 0), hours=24)
    emails = [(when, m) for when, m in sent if m.to == ["dev@greenfold.example"]]
    assert [when for when, _ in emails] == [at(MONDAY, 8)]
    ((_, email),) = emails
    html = email.alternatives[0][0]
    assert email.subject == "Acme Missions: weekly progress update, 2–8 Mar 2026"
    for part in (email.body, html):
        assert "Net zero" in part
        assert "By 2030, every delivery is zero-carbon." in part
        assert "Boiler replaced" in part
        assert "Recyclable packaging by 2027" in part
        assert "Secret" not in part  # not the private mission, the note or the idea
        assert "@acme.example" not in part and "Acme Member" not in part
        assert "Late" not in part and "Fleet miles: due" not in part
    assert "1 new reading this period." in email.body


def test_a_stakeholder_does_not_hear_about_input_metrics(cast, supplier, busy_week):
    metric = Metric.objects.get(name="Tonnes of CO2")
    MetricFactory(goal=metric.goal, name="Hours of consultancy bought", kind="input")
    sent = sweep_hourly(at(MONDAY, 0), hours=24)
    (email,) = [m for _, m in sent if m.to == ["dev@greenfold.example"]]
    for part in (email.body, email.alternatives[0][0]):
        assert "Hours of consultancy bought" not in part
        assert "Tonnes of CO2" in part


def test_a_stakeholder_without_consent_or_subscription_hears_nothing(cast, supplier):
    Stakeholder.objects.filter(pk=supplier.pk).update(consent_to_email=False)
    with time_machine.travel(at(MONDAY, 9), tick=False):
        sweep_digests()
        assert stakeholder_digest_send(supplier.pk) is False
    Stakeholder.objects.filter(pk=supplier.pk).update(
        consent_to_email=True, digest_frequency="none"
    )
    with time_machine.travel(at(MONDAY, 10), tick=False):
        sweep_digests()
    assert "dev@greenfold.example" not in [m.to[0] for m in mail.outbox]


def test_a_stakeholder_who_has_not_confirmed_by_email_hears_nothing(cast, supplier):
    """Issue 17, finding 8: consent an admin ticks is not enough (double opt-in)."""
    Stakeholder.objects.filter(pk=supplier.pk).update(email_confirmed_at=None)
    with time_machine.travel(at(MONDAY, 9), tick=False):
        sweep_digests()
        assert stakeholder_digest_send(supplier.pk) is False
    assert "dev@greenfold.example" not in [m.to[0] for m in mail.outbox]


def test_a_monthly_stakeholder_digest_covers_last_month_on_the_first(cast, supplier):
    Stakeholder.objects.filter(pk=supplier.pk).update(digest_frequency="monthly")
    sent = sweep_hourly(datetime(2026, 3, 31, 0, tzinfo=UTC), hours=72)
    emails = [(when, m) for when, m in sent if m.to == ["dev@greenfold.example"]]
    # 1 April, 08:00 in London (BST since 29 March).
    assert [when for when, _ in emails] == [datetime(2026, 4, 1, 7, tzinfo=UTC)]
    assert emails[0][1].subject == "Acme Missions: monthly progress update, 1–31 Mar 2026"


def test_a_digest_missed_for_days_is_not_sent_late(cast, supplier):
    Stakeholder.objects.filter(pk=supplier.pk).update(digest_frequency="monthly")
    with time_machine.travel(datetime(2026, 4, 4, 9, tzinfo=UTC), tick=False):
        sweep_digests()
    assert "dev@greenfold.example" not in [m.to[0] for m in mail.outbox]


def test_a_digest_with_many_check_ins_arrives_as_it_was_written(cast, busy_week):
    """Every line of the message as the SMTP backend sends it fits SMTP's limit, and each
    part reads back as what was rendered."""
    for i in range(40):
        MetricFactory(goal=busy_week.metric.goal, name=f"Metric {i}", owner=cast.member)
    late = Metric.objects.filter(goal=busy_week.metric.goal).exclude(pk=busy_week.metric.pk)
    late.update(next_due_on=date(2026, 3, 1))
    with time_machine.travel(at(MONDAY, 9), tick=False):
        member_digest_send(cast.membership(cast.member).pk)
    (email,) = mail.outbox
    message = email.message(policy=SMTP)
    assert max(len(line) for line in message.as_bytes().split(b"\r\n")) <= 998
    assert message.get_body(("plain",)).get_content() == email.body
    html = message.get_body(("html",)).get_content()
    assert html == email.alternatives[0][0]
    assert html.count("Metric 39") == 1 and "At risk → On track" in html
