"""Members' digests sent in batches: a fixed number of reads and renders for the batch,
one connection to the mail server, the same emails as one at a time; and sweeps run as
of a given moment, for one organisation."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.deliveries import DeliveryState
from orgs.models import EmailDelivery
from orgs.roles import Role
from reporting.digests import member_digest_send, member_digests_send, stakeholder_digests_send
from reporting.tasks import sweep_digests, sweep_reminders
from tests.emails.conftest import MONDAY, at
from tests.factories import MembershipFactory, StakeholderLinkFactory, UserFactory


def more_admins(cast, n: int) -> list[int]:
    """Admins who are part of no mission get every mission in their digest."""
    ids = []
    for i in range(n):
        user = UserFactory(email=f"admin{i}@acme.example", name=f"Admin {i}")
        ids.append(MembershipFactory(organisation=cast.org, user=user, role=Role.ADMIN).pk)
    return ids


def one_then_five(cast) -> tuple[CaptureQueriesContext, CaptureQueriesContext]:
    """The queries of a batch of one digest, then of a batch of five."""
    extra = more_admins(cast, 4)
    with time_machine.travel(at(MONDAY, 9), tick=False):
        with CaptureQueriesContext(connection) as one:
            assert member_digests_send([cast.membership(cast.member).pk]) == 1
        with CaptureQueriesContext(connection) as five:
            assert member_digests_send([*extra, cast.membership(cast.owner).pk]) == 5
    return one, five


def test_a_batch_costs_the_same_queries_however_many_it_sends(cast, busy_week):
    one, five = one_then_five(cast)
    # Nothing per recipient or per mission: not even claiming each email and recording
    # it sent.
    assert len(five) == len(one)


def test_each_chunk_of_a_batch_adds_a_claim_and_a_record_of_what_went(cast, busy_week, settings):
    settings.EMAIL_SEND_CHUNK = 2
    one, five = one_then_five(cast)
    claims = [q["sql"] for q in five.captured_queries if q["sql"].lstrip().startswith("INSERT")]
    assert len(claims) == 3  # 2 + 2 + 1
    assert len(five) == len(one) + 2 * 2


def test_a_batch_sends_what_one_at_a_time_sends(cast, busy_week, settings):
    members = [cast.membership(user).pk for user in (cast.owner, cast.admin, cast.member)]
    with time_machine.travel(at(MONDAY, 9), tick=False):
        for pk in members:
            member_digest_send(pk)
        alone = {m.to[0]: (m.subject, m.body, m.alternatives) for m in mail.outbox}
        EmailDelivery.objects.all().delete()
        mail.outbox.clear()
        assert member_digests_send(members) == 3
    together = {m.to[0]: (m.subject, m.body, m.alternatives) for m in mail.outbox}
    assert together == alone
    assert "== Net zero ==" in together[cast.member.email][1]


class CountingBackend(EmailBackend):
    """The test outbox, counting the connections made to it."""

    made = 0

    def __init__(self, *args, **kwargs):
        CountingBackend.made += 1
        super().__init__(*args, **kwargs)


def test_a_batch_sends_over_one_connection(cast, busy_week, settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.CountingBackend"}}
    CountingBackend.made = 0
    members = [cast.membership(user).pk for user in (cast.owner, cast.admin, cast.member)]
    with time_machine.travel(at(MONDAY, 9), tick=False):
        assert member_digests_send(members) == 3
    assert CountingBackend.made == 1
    assert len(mail.outbox) == 3


def test_stakeholders_digests_in_a_batch_go_over_one_connection(
    cast, busy_week, supplier, settings
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.CountingBackend"}}
    CountingBackend.made = 0
    other = StakeholderLinkFactory(
        mission=busy_week.mission,
        stakeholder__name="Riverside Council",
        stakeholder__email="team@riverside.example",
        stakeholder__consent_to_email=True,
        stakeholder__digest_frequency="weekly",
    ).stakeholder
    with time_machine.travel(at(MONDAY, 9), tick=False):
        assert stakeholder_digests_send([supplier.pk, other.pk]) == 2
        assert stakeholder_digests_send([supplier.pk, other.pk]) == 0
    assert CountingBackend.made == 1
    assert sorted(m.to[0] for m in mail.outbox) == [
        "dev@greenfold.example",
        "team@riverside.example",
    ]


def test_a_batch_run_twice_sends_each_digest_once(cast, busy_week):
    members = [cast.membership(user).pk for user in (cast.owner, cast.admin, cast.member)]
    with time_machine.travel(at(MONDAY, 9), tick=False):
        assert member_digests_send(members) == 3
        assert member_digests_send(members) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cast.owner.email, cast.admin.email, cast.member.email]
    )
    states = EmailDelivery.objects.values_list("state", flat=True)
    assert list(states) == [DeliveryState.SENT] * 3


def test_a_bounce_in_a_batch_does_not_stop_the_rest(cast, busy_week, troubled_mail):
    troubled_mail.refused = {cast.admin.email}
    members = [cast.membership(user).pk for user in (cast.admin, cast.owner, cast.member)]
    with time_machine.travel(at(MONDAY, 9), tick=False):
        assert member_digests_send(members) == 2
    assert EmailDelivery.objects.get(recipient=cast.admin.email).state == DeliveryState.BOUNCED
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.owner.email, cast.member.email])


def test_with_the_server_down_a_batch_sends_nothing_and_is_retried(cast, busy_week, troubled_mail):
    troubled_mail.down = True
    members = [cast.membership(user).pk for user in (cast.owner, cast.admin, cast.member)]
    with time_machine.travel(at(MONDAY, 9), tick=False):
        with pytest.raises(ConnectionRefusedError):
            member_digests_send(members)
        troubled_mail.down = False
        assert member_digests_send(members) == 3
    assert len(mail.outbox) == 3


# ---- Sweeps as of a moment, for one organisation ----


def test_a_sweep_runs_as_of_the_moment_it_is_given(cast, busy_week):
    # On Thursday, too late to catch up, nothing is due; as of Monday morning, it is.
    with time_machine.travel(at(MONDAY + timedelta(days=3), 9), tick=False):
        sweep_digests()
        assert mail.outbox == []
        sweep_digests(at=at(MONDAY, 9).isoformat())
    assert cast.member.email in [m.to[0] for m in mail.outbox]


def test_a_sweep_for_another_organisation_sends_nothing_here(cast, busy_week):
    moment = at(MONDAY, 9).isoformat()
    sweep_digests(at=moment, organisation_id=cast.other_org.pk)
    sweep_reminders(at=moment, organisation_id=cast.other_org.pk)
    assert mail.outbox == []
    sweep_digests(at=moment, organisation_id=cast.org.pk)
    sweep_reminders(at=moment, organisation_id=cast.org.pk)
    subjects = [m.subject for m in mail.outbox]
    assert any("your missions’ week" in subject for subject in subjects)
    assert any("Fleet miles" in subject for subject in subjects)  # late: a reminder


def test_a_batch_of_stakeholders_reads_each_mission_once(cast, busy_week, supplier):
    """Stakeholders following the same missions over the same period share one reading
    of them, and their emails are claimed and recorded sent together."""
    others = [
        StakeholderLinkFactory(
            mission=busy_week.mission,
            stakeholder__name=f"Partner {i}",
            stakeholder__email=f"partner{i}@example.org",
            stakeholder__consent_to_email=True,
            stakeholder__digest_frequency="weekly",
            commitment=f"Commitment {i}",
        ).stakeholder
        for i in range(4)
    ]
    with time_machine.travel(at(MONDAY, 9), tick=False):
        with CaptureQueriesContext(connection) as one:
            assert stakeholder_digests_send([supplier.pk]) == 1
        with CaptureQueriesContext(connection) as five:
            assert stakeholder_digests_send([other.pk for other in others]) == 4
    assert len(five) == len(one)
    # Each still hears of their own commitment, and only of their own.
    for i, other in enumerate(others):
        (email,) = [m for m in mail.outbox if m.to == [other.email]]
        assert f"Commitment {i}" in email.body
        assert "Recyclable packaging" not in email.body
        assert sum(f"Commitment {j}" in email.body for j in range(4)) == 1
