"""The claim that makes each email go once: many sends claimed in one statement, only one
sender winning each, and a batch that stops half way recording what went and giving the
rest back for its retry."""

import smtplib
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from core.deliveries import (
    Claim,
    DeliveryState,
    Outgoing,
    _deliveries_of,
    claimed_sends,
    deliveries_claim,
    deliveries_settled,
    deliveries_skip,
)
from orgs.models import EmailDelivery, EmailKind
from tests.conftest import require_service

NOON = datetime(2026, 3, 9, 12, tzinfo=UTC)


def claims(n: int, kind: str = EmailKind.DIGEST) -> list[Claim]:
    return [Claim(kind, f"person{i}@acme.example", "week:2026-03-09") for i in range(n)]


def states() -> dict[str, tuple[str, int]]:
    return {
        row.recipient: (row.state, row.attempts)
        for row in EmailDelivery.objects.order_by("recipient")
    }


# ---- Claiming ----


def test_claiming_any_number_of_sends_is_one_statement(cast):
    with CaptureQueriesContext(connection) as one:
        assert deliveries_claim(cast.org.pk, claims(1)) == claims(1)
    EmailDelivery.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        assert sorted(deliveries_claim(cast.org.pk, claims(120))) == sorted(claims(120))
    assert len(one) == len(many) == 1
    assert EmailDelivery.objects.filter(state=DeliveryState.SENDING, attempts=1).count() == 120


def test_a_second_claim_wins_nothing(cast):
    assert len(deliveries_claim(cast.org.pk, claims(5))) == 5
    assert deliveries_claim(cast.org.pk, claims(5)) == []
    # A claim asked for twice in one call is won once.
    more = claims(7)[5:]
    assert sorted(deliveries_claim(cast.org.pk, [*more, *more])) == more


def test_a_send_that_failed_is_taken_again_by_one_claim_only(cast):
    with time_machine.travel(NOON, tick=False):
        deliveries_claim(cast.org.pk, claims(3))
        EmailDelivery.objects.filter(recipient="person1@acme.example").update(
            state=DeliveryState.FAILED, error="down"
        )
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        assert deliveries_claim(cast.org.pk, claims(3)) == [claims(3)[1]]
        assert deliveries_claim(cast.org.pk, claims(3)) == []
    retaken = EmailDelivery.objects.get(recipient="person1@acme.example")
    assert (retaken.state, retaken.attempts, retaken.error) == (DeliveryState.SENDING, 2, "")
    assert retaken.claimed_at == NOON + timedelta(minutes=5)
    assert retaken.created_at == NOON


def test_a_send_left_sending_is_taken_again_once_its_lease_has_run_out(cast, settings):
    settings.EMAIL_CLAIM_LEASE_SECONDS = 600
    with time_machine.travel(NOON, tick=False):
        deliveries_claim(cast.org.pk, claims(2))
    with time_machine.travel(NOON + timedelta(seconds=599), tick=False):
        assert deliveries_claim(cast.org.pk, claims(2)) == []
        assert deliveries_settled(claims(2)) == set(claims(2))
    with time_machine.travel(NOON + timedelta(seconds=601), tick=False):
        assert deliveries_settled(claims(2)) == set()
        assert sorted(deliveries_claim(cast.org.pk, claims(2))) == claims(2)
    assert set(states().values()) == {(DeliveryState.SENDING, 2)}


def test_a_send_failing_for_a_day_is_not_taken_again(cast):
    with time_machine.travel(NOON, tick=False):
        deliveries_claim(cast.org.pk, claims(1))
        EmailDelivery.objects.update(state=DeliveryState.FAILED)
    with time_machine.travel(NOON + timedelta(days=1, minutes=1), tick=False):
        assert deliveries_settled(claims(1)) == set(claims(1))
        assert deliveries_claim(cast.org.pk, claims(1)) == []


def test_sent_skipped_and_bounced_sends_are_never_taken_again(cast):
    with time_machine.travel(NOON, tick=False):
        deliveries_claim(cast.org.pk, claims(2))
        EmailDelivery.objects.filter(recipient="person0@acme.example").update(
            state=DeliveryState.SENT
        )
        EmailDelivery.objects.filter(recipient="person1@acme.example").update(
            state=DeliveryState.BOUNCED
        )
        skipped = claims(3)[2]
        deliveries_skip([(cast.org.pk, skipped)])
        deliveries_skip([(cast.org.pk, claims(1)[0])])  # sent already: stays sent
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        assert deliveries_claim(cast.org.pk, claims(3)) == []
        assert deliveries_settled(claims(3)) == set(claims(3))
    assert states() == {
        "person0@acme.example": (DeliveryState.SENT, 1),
        "person1@acme.example": (DeliveryState.BOUNCED, 1),
        "person2@acme.example": (DeliveryState.SKIPPED, 1),
    }


@pytest.mark.django_db(transaction=True)
def test_two_senders_claiming_the_same_sends_at_once_win_each_once(cast):
    """Two workers, each on its own database connection, claim the same 300 sends (in
    different orders) at the same moment, and again: every send is won exactly once."""
    # SQLite's in-memory test database refuses a second writer instead of making it wait.
    require_service(connection.vendor == "postgresql", "PostgreSQL (real concurrent writes)")
    wanted = claims(300)
    won: list[list[Claim]] = [[], []]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def claim(n: int) -> None:
        try:
            start.wait()
            order = wanted if n == 0 else wanted[::-1]
            for _ in range(2):
                won[n] += deliveries_claim(cast.org.pk, order)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not set(won[0]) & set(won[1])
    assert sorted(won[0] + won[1]) == sorted(wanted)
    assert EmailDelivery.objects.filter(attempts=1).count() == 300


def test_the_lookup_finds_each_claims_own_row_and_only_that(cast):
    """A lookup names kinds, recipients and periods of many claims at once: a row that
    matches a kind of one claim and a recipient of another is neither's."""
    with time_machine.travel(NOON, tick=False):
        deliveries_claim(cast.org.pk, claims(40))
        EmailDelivery.objects.filter(recipient__endswith="7@acme.example").update(
            state=DeliveryState.FAILED
        )
        deliveries_claim(cast.org.pk, claims(40, kind=EmailKind.STAKEHOLDER_DIGEST)[:3])
    asked = {*claims(45)[20:], *claims(45, kind=EmailKind.STAKEHOLDER_DIGEST)}
    found = {claim: state for claim, state, *_ in _deliveries_of(asked)}
    assert found == {
        **dict.fromkeys(claims(40)[20:], DeliveryState.SENDING),
        claims(40)[27]: DeliveryState.FAILED,
        claims(40)[37]: DeliveryState.FAILED,
        **dict.fromkeys(claims(3, EmailKind.STAKEHOLDER_DIGEST), DeliveryState.SENDING),
    }
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        # person27 and person37 failed a minute ago: to be tried again.
        assert deliveries_settled(list(asked)) == set(found) - {claims(40)[27], claims(40)[37]}


def test_a_lookup_of_more_claims_than_one_statement_names_finds_them_all(cast, monkeypatch):
    monkeypatch.setattr("core.deliveries.LOOKUP_BATCH", 10)
    deliveries_claim(cast.org.pk, claims(25))
    with CaptureQueriesContext(connection) as lookups:
        found = [claim for claim, *_ in _deliveries_of(set(claims(30)))]
    assert sorted(found) == sorted(claims(25))
    assert len(lookups) == 3


# ---- Sending a batch ----


class FailingOnce(EmailBackend):
    """The test outbox, with a server that drops the connection at the `nth` message."""

    nth = 0
    error: BaseException = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    attempts = 0

    def send_messages(self, messages):
        FailingOnce.attempts += 1
        if FailingOnce.attempts == FailingOnce.nth:
            raise FailingOnce.error
        return super().send_messages(messages)


@pytest.fixture
def failing_once(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingOnce"}}
    FailingOnce.attempts = 0
    yield FailingOnce
    FailingOnce.nth = 0
    FailingOnce.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def outgoing(organisation_id: int, n: int) -> list[Outgoing]:
    def email(to: str):
        return lambda: EmailMultiAlternatives(subject="Hello", body="Hi", to=[to])

    return [Outgoing(organisation_id, claim, email(claim.recipient)) for claim in claims(n)]


def send(batch: list[Outgoing]) -> int:
    with mailers.default as mailer:
        return claimed_sends(batch, mailer)


def test_a_batch_that_fails_half_way_records_what_went_and_its_retry_sends_the_rest(
    cast, failing_once, settings
):
    settings.EMAIL_SEND_CHUNK = 4
    failing_once.nth = 6  # the second chunk's second message
    batch = outgoing(cast.org.pk, 10)
    with time_machine.travel(NOON, tick=False):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            send(batch)
        sent = [m.to[0] for m in mail.outbox]
        # The first chunk, and the second's first; perhaps one or two more of it, handed
        # to the server before the failure was seen, but not the one that failed.
        chunk = [f"person{i}@acme.example" for i in range(10)]
        assert sent[:5] == chunk[:5]
        assert set(sent[5:]) <= {chunk[6], chunk[7]}
        rows = states()
        # What the server accepted is recorded sent; the rest of the chunk is given back;
        # the chunks after it were never claimed.
        assert {r for r, (state, _) in rows.items() if state == DeliveryState.SENT} == set(sent)
        assert rows["person5@acme.example"] == (DeliveryState.FAILED, 1)
        assert (
            "Connection unexpectedly closed"
            in EmailDelivery.objects.get(recipient="person5@acme.example").error
        )
        assert set(rows) == set(chunk[:8])
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        assert send(batch) == 10 - len(sent)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.recipient for c in claims(10))
    assert set(states().values()) <= {(DeliveryState.SENT, 1), (DeliveryState.SENT, 2)}


def test_a_batch_whose_template_breaks_half_way_sends_none_after_it(cast, settings):
    settings.EMAIL_SEND_CHUNK = 10
    batch = outgoing(cast.org.pk, 6)

    def broken():
        raise ValueError("a bug in the template")

    batch[3] = Outgoing(cast.org.pk, batch[3].claim, broken)
    with time_machine.travel(NOON, tick=False), pytest.raises(ValueError):
        send(batch)
    assert [m.to[0] for m in mail.outbox] == [f"person{i}@acme.example" for i in range(3)]
    rows = states()
    assert [rows[f"person{i}@acme.example"][0] for i in range(6)] == [
        *[DeliveryState.SENT] * 3,
        *[DeliveryState.FAILED] * 3,
    ]
    assert (
        "a bug in the template" in EmailDelivery.objects.get(recipient="person3@acme.example").error
    )


class Killed(BaseException):
    """The worker dying: nothing after it runs, not even an `except Exception`."""


def test_a_worker_killed_mid_chunk_leaves_that_chunk_to_its_lease(cast, failing_once, settings):
    settings.EMAIL_SEND_CHUNK = 3
    settings.EMAIL_CLAIM_LEASE_SECONDS = 600
    failing_once.nth = 5  # the second chunk's second message
    failing_once.error = Killed()
    batch = outgoing(cast.org.pk, 8)
    with time_machine.travel(NOON, tick=False), pytest.raises(Killed):
        send(batch)
    first_try = [m.to[0] for m in mail.outbox]
    killed_chunk = {f"person{i}@acme.example" for i in (3, 4, 5)}
    # The first chunk was recorded; the killed one is still "sending": nobody knows what
    # of it went out.
    assert {c.recipient for c in claims(3)} <= set(first_try)
    assert {r for r, (s, _) in states().items() if s == DeliveryState.SENDING} == killed_chunk

    # The task run again at once (Celery hands a dead worker's task to another) sends the
    # rest of the batch, and leaves the killed chunk alone.
    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        assert send(batch) == 2
    # Once the lease has run out, the killed chunk is sent again, the same messages.
    with time_machine.travel(NOON + timedelta(seconds=601), tick=False):
        assert send(batch) == 3
    received = [m.to[0] for m in mail.outbox]
    assert set(received) == {c.recipient for c in claims(8)}
    twice = {to for to in received if received.count(to) > 1}
    # person3 went out before the kill, and again: the server's reply was never recorded.
    assert "person3@acme.example" in twice and twice <= killed_chunk
    # A copy sent again is the same message: one Message-ID for each recipient's email.
    sent_as = {(m.to[0], m.extra_headers["Message-ID"]) for m in mail.outbox}
    assert len(sent_as) == len({message_id for _, message_id in sent_as}) == 8
    rows = states()
    assert {rows[to] for to in killed_chunk} == {(DeliveryState.SENT, 2)}
    assert {rows[to] for to in set(rows) - killed_chunk} == {(DeliveryState.SENT, 1)}
