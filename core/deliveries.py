"""Sending each email once: the claim a sender takes before it sends, and the sends that
record how they went.

A claim is a row of the delivery model (settings.EMAIL_DELIVERY_MODEL, a concrete
`Delivery`): its unique (kind, recipient, period_key) lets one worker, task run or beat
win it. A failed send gives its claim back for a retry to take, for a day (RETRY_FOR); a
row left "sending" by a worker that died mid-send is taken again once its lease has run
out. Each row also names its owner (the delivery model's OWNER field: in Waymark, the
organisation the email is from), so that it goes when its owner does.
"""

import hashlib
import logging
import smtplib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from email.policy import Policy
from email.utils import parseaddr
from functools import partial, reduce
from itertools import batched
from operator import or_
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.utils import timezone

from core import request_ids

logger = logging.getLogger(__name__)

# A send that keeps failing (the server is down, a temporary refusal) is tried again by
# the task's own retries and by later sweeps for this long after it was first claimed;
# by then a reminder or digest is stale, and the next one will say what it had to.
RETRY_FOR = timedelta(days=1)


class DeliveryState(models.TextChoices):
    SENDING = "sending", "Claimed, being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, to be tried again"
    BOUNCED = "bounced", "Refused by the mail server"
    SKIPPED = "skipped", "Nothing worth sending"


class Delivery(models.Model):
    """One email (or one part of one) to one recipient for one period: the claim that
    makes it go once.

    A sender inserts the row before it sends; a unique constraint on (kind, recipient,
    period_key), which the concrete model declares, lets only one worker, task run or
    beat win. A single email is recorded "sent" the moment the mail server accepts it, so
    only a death in that instant sends it twice; a batch claims and records a chunk at a
    time (EMAIL_SEND_CHUNK), so a death mid-chunk may send that chunk's emails twice
    (claimed_sends).
    """

    # The foreign key naming whom the row belongs to.
    OWNER: ClassVar[str]

    kind = models.CharField(max_length=20)
    # The address, lower-cased.
    recipient = models.CharField(max_length=254)
    # What it is about and for when, e.g. "<metric uid>:2026-03-06:overdue-3" or
    # "week:2026-03-02"; unique for each email of a kind a recipient should get.
    period_key = models.CharField(max_length=120)
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.SENDING
    )
    attempts = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.period_key}): {self.state}"


def delivery_model() -> type[Delivery]:
    """The concrete delivery model the project names in settings.EMAIL_DELIVERY_MODEL."""
    model = apps.get_model(settings.EMAIL_DELIVERY_MODEL)
    assert issubclass(model, Delivery)
    return model


def claim_lease() -> timedelta:
    """How long a claim in "sending" belongs to the worker that took it. A worker killed
    mid-send never settles its claim; once the lease has run out, a sweep sends it again.
    Far longer than any live send takes (each SMTP step times out after 10 s)."""
    return timedelta(seconds=settings.EMAIL_CLAIM_LEASE_SECONDS)


@dataclass(frozen=True, slots=True, order=True)
class Claim:
    """One thing a recipient should be told once: a row of the delivery model."""

    kind: str
    recipient: str
    period_key: str

    def rows(self) -> Q:
        return Q(kind=self.kind, recipient=self.recipient, period_key=self.period_key)


def _matching(claims: Iterable[Claim]) -> Q:
    return reduce(or_, (claim.rows() for claim in claims), Q(pk__in=[]))


# Claims looked up or claimed by one statement: at most 14,000 parameters (7 a claim),
# inside SQLite's limit (32,766 since 3.32) and PostgreSQL's (65,535). A sweep looks up
# thousands of claims, so each statement takes as many as both databases allow.
LOOKUP_BATCH = 2000


def deliveries_settled(claims: Sequence[Claim]) -> set[Claim]:
    """The claims a sender should leave alone: sent, being sent, bounced, skipped, or failed
    for too long. A send that failed recently is not settled, nor one whose worker died
    (its lease ran out): a sweep tries it again."""
    now = timezone.now()
    retry_since = now - RETRY_FOR
    lease_since = now - claim_lease()
    settled: set[Claim] = set()
    for claim, state, created_at, claimed_at in _deliveries_of(set(claims)):
        abandoned = state == DeliveryState.SENDING and claimed_at < lease_since
        retryable = (state == DeliveryState.FAILED or abandoned) and created_at > retry_since
        if not retryable:
            settled.add(claim)
    return settled


# Each claim's row, found by joining the table to the claims listed in VALUES (whose
# columns SQLite and PostgreSQL both name column1, column2, column3): the unique
# (kind, recipient, period_key) index finds each row, however many earlier periods and
# other kinds a recipient has.
_LOOKUP_SQL = """
SELECT delivery.id, delivery.kind, delivery.recipient, delivery.period_key, delivery.state,
    delivery.created_at, delivery.claimed_at
FROM {table} AS delivery
JOIN (VALUES {claims}) AS claim
    ON delivery.kind = claim.column1 AND delivery.recipient = claim.column2
    AND delivery.period_key = claim.column3
"""


def _deliveries_of(wanted: set[Claim]) -> Iterator[tuple[Claim, str, datetime, datetime]]:
    """Each wanted claim's row, if it has one: its state, and when it was made and taken.
    One statement for up to LOOKUP_BATCH of them."""
    table = connection.ops.quote_name(delivery_model()._meta.db_table)
    for batch in batched(sorted(wanted), LOOKUP_BATCH):
        sql = _LOOKUP_SQL.format(table=table, claims=", ".join(["(%s, %s, %s)"] * len(batch)))
        params = [value for c in batch for value in (c.kind, c.recipient, c.period_key)]
        # raw() converts the columns as the ORM does (SQLite has no datetime type).
        for row in delivery_model()._default_manager.raw(sql, params):
            claim = Claim(row.kind, row.recipient, row.period_key)
            yield (claim, row.state, row.created_at, row.claimed_at)


# The claim, as one statement for any number of sends: an INSERT of the new ones, and for
# those someone has already, a conditional UPDATE of the ones that may be taken again
# (a recent failure, or a send whose worker died: its lease ran out). RETURNING says which
# this call won. Django's bulk_create can ignore conflicts or update them, but neither
# conditionally nor saying which rows it wrote. PostgreSQL and SQLite (3.35 on) run it.
_CLAIM_SQL = """
INSERT INTO {table} AS delivery
    ({owner}, kind, recipient, period_key, state, attempts, created_at, claimed_at,
     error)
VALUES {values}
ON CONFLICT (kind, recipient, period_key) DO UPDATE
SET state = EXCLUDED.state, attempts = delivery.attempts + 1,
    claimed_at = EXCLUDED.claimed_at, error = ''
WHERE delivery.created_at > %s
    AND (delivery.state = %s OR (delivery.state = %s AND delivery.claimed_at < %s))
RETURNING id, kind, recipient, period_key
"""


def _claim(rows: Iterable[tuple[int, Claim]]) -> dict[Claim, int]:
    """Claim each (owner id, claim): the claims this call won, with their rows' ids.
    One statement for up to LOOKUP_BATCH of them."""
    # Once each, and in one order, so that two workers claiming the same sends wait for
    # each other's row locks in turn rather than deadlock.
    wanted = sorted({claim: owner_id for owner_id, claim in rows}.items())
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(now)
    model = delivery_model()
    table = connection.ops.quote_name(model._meta.db_table)
    owner_field = model._meta.get_field(model.OWNER)
    assert isinstance(owner_field, models.ForeignKey)
    owner = connection.ops.quote_name(owner_field.column)
    won: dict[Claim, int] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        values = ", ".join(["(%s, %s, %s, %s, %s, 1, %s, %s, '')"] * len(batch))
        params: list[Any] = []
        for claim, owner_id in batch:
            params += [owner_id, claim.kind, claim.recipient, claim.period_key]
            params += [DeliveryState.SENDING, stamp, stamp]
        params += [adapt(now - RETRY_FOR), DeliveryState.FAILED, DeliveryState.SENDING]
        params += [adapt(now - claim_lease())]
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL.format(table=table, owner=owner, values=values), params)
            for pk, kind, recipient, period_key in cursor.fetchall():
                won[Claim(kind, recipient, period_key)] = pk
    return won


def deliveries_claim(owner_id: int, claims: Iterable[Claim]) -> list[Claim]:
    """Claim each send before it happens. Returns the claims this call won: another worker,
    a second run of the same task or a second beat gets none of them. Only a send that
    failed and gave its claim back, or one whose worker died (its lease ran out), can be
    taken again, and only by one of those who try."""
    return list(_claim((owner_id, claim) for claim in claims))


def deliveries_skip(rows: Iterable[tuple[int, Claim]]) -> None:
    """Record, for each (owner id, claim), that there was nothing worth sending, so
    later sweeps don't ask again. One that was sent or skipped already stays as it is."""
    model = delivery_model()
    model._default_manager.bulk_create(
        [
            model(
                **{model.OWNER + "_id": owner_id},
                kind=claim.kind,
                recipient=claim.recipient,
                period_key=claim.period_key,
                state=DeliveryState.SKIPPED,
            )
            for owner_id, claim in rows
        ],
        ignore_conflicts=True,
        batch_size=LOOKUP_BATCH,
    )


def _settle(claims: Sequence[Claim], state: str, error: str = "") -> None:
    _settle_rows(delivery_model()._default_manager.filter(_matching(claims)), state, error)


def _settle_rows(rows: QuerySet[Delivery], state: str, error: str = "") -> None:
    rows.filter(state=DeliveryState.SENDING).update(
        state=state,
        error=error[:500],
        sent_at=timezone.now() if state == DeliveryState.SENT else None,
    )


def message_id(claims: Sequence[Claim]) -> str:
    """The same Message-ID every time these claims are sent: should a worker die between
    the server's reply and recording it, the copy sent again is the same message, which
    mail systems that collapse duplicates by Message-ID show once."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] or "waymark"
    keys = sorted(f"{c.kind}|{c.recipient}|{c.period_key}" for c in claims)
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _send_then_record_sent(message: EmailMultiAlternatives, claims: Sequence[Claim]) -> None:
    """Send over a connection of its own, and record "sent" the moment the server has
    accepted the message: before saying goodbye to it (QUIT), so a worker that dies leaves
    the smallest window in which an email went out but its claim still says "sending"."""
    server = mailers.default
    server.open()
    try:
        if server.send_messages([message]):
            _settle(claims, DeliveryState.SENT)
    finally:
        try:
            server.close()
        except Exception:  # the message is sent; a failed goodbye changes nothing
            logger.warning("Closing the mail connection failed", exc_info=True)


def _refused_for_good(refused: smtplib.SMTPRecipientsRefused) -> bool:
    """The server refused every recipient with a permanent (5xx) reply at RCPT."""
    codes = [code for code, _ in refused.recipients.values()]
    return bool(codes) and all(code >= 500 for code in codes)


def _built(
    build: Callable[[], EmailMultiAlternatives], claims: Sequence[Claim]
) -> EmailMultiAlternatives:
    message = request_ids.stamp(build())
    message.extra_headers["Message-ID"] = message_id(claims)
    return message


def claimed_send(claims: Sequence[Claim], build: Callable[[], EmailMultiAlternatives]) -> bool:
    """Build and send the message for claims this worker holds, and record how it went.

    A recipient the server refuses for good (5xx at RCPT) is logged and marked bounced.
    Anything else (the server is down, a temporary refusal, a bug in the template) gives
    the claims back and is raised for the task to retry. A worker killed mid-send settles
    nothing: its claims are sent again once their lease runs out.
    """
    message: EmailMultiAlternatives | None = None
    try:
        message = _built(build, claims)
        _send_then_record_sent(message, claims)
    except smtplib.SMTPRecipientsRefused as refused:
        if _refused_for_good(refused):
            _settle(claims, DeliveryState.BOUNCED, error=repr(refused.recipients))
            logger.warning("The mail server refused %r for good", refused.recipients)
            return False
        _settle(claims, DeliveryState.FAILED, error=repr(refused.recipients))
        raise
    except Exception as error:
        _settle(claims, DeliveryState.FAILED, error=repr(error))
        to = message.to if message else [claim.recipient for claim in claims]
        logger.warning("Sending to %s failed: %r; it will be tried again", to, error)
        raise
    return True


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One email of a batch: its owner (the organisation it is from), the claim that makes
    it go once, and how to build it (once it is claimed)."""

    owner_id: int
    claim: Claim
    build: Callable[[], EmailMultiAlternatives]

    @property
    def claims(self) -> tuple[Claim, ...]:
        return (self.claim,)

    def built(self, won: Sequence[Claim]) -> EmailMultiAlternatives:
        return self.build()


@dataclass(frozen=True, slots=True)
class OutgoingParts:
    """One email of a batch that tells its recipient several things, each claimed on its
    own (a reminder names every metric due, and each is sent once whichever email names
    it): it goes with the parts this sender won, built from them, and not at all if it
    won none."""

    owner_id: int
    claims: tuple[Claim, ...]
    build: Callable[[Sequence[Claim]], EmailMultiAlternatives]

    def built(self, won: Sequence[Claim]) -> EmailMultiAlternatives:
        return self.build(won)


def send_chunk() -> int:
    """How many of a batch's emails are claimed together, and recorded sent together once
    the server has accepted them all: two statements for them, not four for each. The
    price: a worker killed mid-chunk leaves all the chunk's claims "sending", and once their
    lease has run out a sweep sends them again, those that had gone out too (as the same
    messages, see message_id). So it is as many emails as a kill can send twice, and as
    many as wait for the lease when the killed task runs again (it sends the rest of the
    batch at once). EMAIL_SEND_CHUNK, 10 unless set: about one statement per five emails."""
    return max(1, settings.EMAIL_SEND_CHUNK)


def claimed_sends(outgoing: Sequence[Outgoing | OutgoingParts], mailer: BaseEmailBackend) -> int:
    """Claim, build, send over `mailer` and record each of these emails, once,
    send_chunk() at a time: a fixed number of statements for a chunk, whatever its size. An
    email another sender holds, or has sent, is left out (an email of parts goes with the
    parts this call won). Returns how many were sent.

    The connection is opened at the first send, once that email is claimed, and kept for
    the rest: a server that is down fails a claimed send, which gives its claims back
    (attempts counted) for the task's retries and later sweeps, as a single send does. It
    is closed at the end.

    A thread of its own hands the emails to the server, one after the other, while this
    one renders the next: most of a send is waiting for the server's four replies.

    A recipient the server refuses for good (5xx at RCPT) is logged and marked bounced,
    and the rest go on. Anything else (the server is down, a temporary refusal, a bug in a
    template) records what the server had accepted as sent, gives the chunk's other claims
    back, and is raised for the task to retry: the retry sends what is left.
    """
    relay = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp")
    try:
        return sum(_chunk_send(chunk, mailer, relay) for chunk in batched(outgoing, send_chunk()))
    finally:
        # Whatever stopped the batch (even an interruption), nothing more is sent.
        relay.shutdown(cancel_futures=True)
        try:
            mailer.close()
        except Exception:  # what was sent is recorded; a failed goodbye changes nothing
            logger.warning("Closing the mail connection failed", exc_info=True)


def _send_over(mailer: BaseEmailBackend, messages: list[EmailMultiAlternatives]) -> int:
    # Opened here, not by send_messages: a connection send_messages opens, it closes again.
    mailer.open()
    return mailer.send_messages(messages)


def _chunk_send(
    chunk: Sequence[Outgoing | OutgoingParts], mailer: BaseEmailBackend, relay: ThreadPoolExecutor
) -> int:
    held = _claim((item.owner_id, claim) for item in chunk for claim in item.claims)
    mine: list[tuple[Outgoing | OutgoingParts, list[Claim], list[int]]] = []
    for item in chunk:
        won = [claim for claim in item.claims if claim in held]
        if won:
            mine.append((item, won, [held.pop(claim) for claim in won]))
    sending: list[tuple[Outgoing | OutgoingParts, list[int], Future[int]]] = []
    failure: tuple[Outgoing | OutgoingParts, Exception] | None = None
    try:
        for item, won, pks in mine:
            message = _built(partial(item.built, won), won)
            sending.append((item, pks, relay.submit(_send_over, mailer, [message])))
    except Exception as error:  # building one failed: build none of the rest
        failure = (item, error)
    accepted: list[int] = []
    sent = 0
    send_failed = False
    for item, pks, send in sending:
        if send_failed:
            send.cancel()  # if not begun: the server is down, say; given back below
        try:
            if not send.cancelled() and send.result():
                accepted += pks
                sent += 1
        except smtplib.SMTPRecipientsRefused as refused:
            if not _refused_for_good(refused):
                failure, send_failed = failure or (item, refused), True
                continue
            rows = delivery_model()._default_manager.filter(pk__in=pks)
            _settle_rows(rows, DeliveryState.BOUNCED, error=repr(refused.recipients))
            logger.warning("The mail server refused %r for good", refused.recipients)
        except Exception as error:
            failure, send_failed = failure or (item, error), True
    _settle_rows(delivery_model()._default_manager.filter(pk__in=accepted), DeliveryState.SENT)
    if failure:
        failed, cause = failure
        # The one that failed and those not tried (settled rows stay as they are).
        given_back = delivery_model()._default_manager.filter(
            pk__in=[pk for _, _, pks in mine for pk in pks]
        )
        _settle_rows(given_back, DeliveryState.FAILED, error=repr(cause))
        logger.warning(
            "Sending to %s failed: %r; it and the rest of its batch will be tried again",
            failed.claims[0].recipient,
            cause,
        )
        raise cause
    return sent


def moment(at: str | None) -> datetime:
    """The moment a sweep or send runs as of: `at` (ISO 8601, from a task's arguments)
    when given, else now."""
    if at is None:
        return timezone.now()
    when = datetime.fromisoformat(at)
    return when if timezone.is_aware(when) else timezone.make_aware(when)


def sending_day(now: datetime, zone: tzinfo, hour: int) -> date:
    """The recipient's day an email sent now counts for: today from their hour on, the
    day before until then. Reminders and digests for a day go out from that hour."""
    local = now.astimezone(zone)
    return local.date() if local.hour >= hour else local.date() - timedelta(days=1)


class OneLineHeader(str):
    """A header value written out on one line, as it is.

    Python's email package folds a header longer than 78 characters, and a long URL with
    no spaces to break at comes out as RFC 2047 encoded words, which mail clients do not
    read as a List-Unsubscribe link. Lines up to 998 characters are allowed (RFC 5322).

    The email package's documented way to hand it a header ready to write: a value with
    a `name` is stored as it is (EmailPolicy.header_store_parse), and written out by its
    `fold(policy=...)` (EmailPolicy.fold). It is a str, so Django passes it on unchanged.
    """

    name: str

    def __new__(cls, name: str, value: str) -> "OneLineHeader":
        if len(name) + len(value) + 2 > 998 or "\n" in value or "\r" in value:
            raise ValueError(f"{name} does not fit on one line")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        # Copied with the message (the test outbox keeps deep copies).
        return (self.name, str(self))

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"
