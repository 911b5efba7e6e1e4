"""Emails about people and organisations, and the claim that makes every email go once."""

import email.message
import email.policy
import hashlib
import logging
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from email.headerregistry import BaseHeader, HeaderRegistry
from email.policy import Policy
from email.utils import formataddr, parseaddr
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from orgs.models import DeliveryState, EmailDelivery, Invitation, Organisation

logger = logging.getLogger(__name__)

# A send that keeps failing (the server is down, a temporary refusal) is tried again by
# the task's own retries and by later sweeps for this long after it was first claimed;
# by then a reminder or digest is stale, and the next one will say what it had to.
RETRY_FOR = timedelta(days=1)
# The List-Unsubscribe-Post value that asks mail clients for one-click unsubscribe.
ONE_CLICK = "List-Unsubscribe=One-Click"


def claim_lease() -> timedelta:
    """How long a claim in "sending" belongs to the worker that took it. A worker killed
    mid-send never settles its claim; once the lease has run out, a sweep sends it again.
    Far longer than any live send takes (each SMTP step times out after 10 s)."""
    return timedelta(seconds=settings.EMAIL_CLAIM_LEASE_SECONDS)


def _retakable() -> Q:
    """Claims another sender may take: a recent failure, or a send whose worker died."""
    now = timezone.now()
    return Q(state=DeliveryState.FAILED, created_at__gt=now - RETRY_FOR) | Q(
        state=DeliveryState.SENDING,
        claimed_at__lt=now - claim_lease(),
        created_at__gt=now - RETRY_FOR,
    )


def invitation_email_send(invitation_id: int) -> bool:
    """Send the invitation once. Returns whether this call sent it."""
    # The conditional update claims the send: a task delivered twice sends one email.
    claimed = Invitation.objects.filter(
        pk=invitation_id, sent_at__isnull=True, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(sent_at=timezone.now())
    if not claimed:
        return False
    invitation = Invitation.objects.select_related("organisation", "invited_by").get(
        pk=invitation_id
    )
    context = {
        "invitation": invitation,
        "accept_url": settings.SITE_URL + invitation.get_accept_url(),
    }
    message = EmailMultiAlternatives(
        subject=f"You're invited to {invitation.organisation.name} on Waymark",
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    try:
        message.send()
    except Exception:
        # Give the send back so the retry can claim it again.
        Invitation.objects.filter(pk=invitation_id).update(sent_at=None)
        raise
    return True


# ---- Sending once: reminders and digests ----


@dataclass(frozen=True, slots=True)
class Claim:
    """One thing a recipient should be told once: a row of EmailDelivery."""

    kind: str
    recipient: str
    period_key: str

    def rows(self) -> Q:
        return Q(kind=self.kind, recipient=self.recipient, period_key=self.period_key)


def _matching(claims: Iterable[Claim]) -> Q:
    return reduce(or_, (claim.rows() for claim in claims), Q(pk__in=[]))


# Keeps each lookup's parameters well inside SQLite's limit.
LOOKUP_BATCH = 300


def deliveries_settled(claims: Sequence[Claim]) -> set[Claim]:
    """The claims a sender should leave alone: sent, being sent, bounced, skipped, or failed
    for too long. A send that failed recently is not settled, nor one whose worker died
    (its lease ran out): a sweep tries it again."""
    now = timezone.now()
    retry_since = now - RETRY_FOR
    lease_since = now - claim_lease()
    settled: set[Claim] = set()
    wanted = set(claims)
    for start in range(0, len(claims), LOOKUP_BATCH):
        batch = claims[start : start + LOOKUP_BATCH]
        rows = EmailDelivery.objects.filter(
            kind__in={c.kind for c in batch},
            recipient__in={c.recipient for c in batch},
            period_key__in={c.period_key for c in batch},
        ).values_list("kind", "recipient", "period_key", "state", "created_at", "claimed_at")
        for kind, recipient, period_key, state, created_at, claimed_at in rows:
            claim = Claim(kind, recipient, period_key)
            abandoned = state == DeliveryState.SENDING and claimed_at < lease_since
            retryable = (state == DeliveryState.FAILED or abandoned) and created_at > retry_since
            if claim in wanted and not retryable:
                settled.add(claim)
    return settled


def deliveries_claim(organisation_id: int, claims: Iterable[Claim]) -> list[Claim]:
    """Claim each send before it happens. Returns the claims this call won: another worker,
    a second run of the same task or a second beat gets none of them."""
    won = []
    for claim in claims:
        try:
            with transaction.atomic():
                EmailDelivery.objects.create(
                    organisation_id=organisation_id,
                    kind=claim.kind,
                    recipient=claim.recipient,
                    period_key=claim.period_key,
                )
        except IntegrityError:
            # Someone has it. Only a send that failed and gave its claim back, or one
            # whose worker died (its lease ran out), can be taken again, and only by one
            # of those who try: the UPDATE is conditional.
            taken = (
                EmailDelivery.objects.filter(claim.rows(), _retakable()).update(
                    state=DeliveryState.SENDING,
                    attempts=F("attempts") + 1,
                    claimed_at=timezone.now(),
                    error="",
                )
                == 1
            )
            if not taken:
                continue
        won.append(claim)
    return won


def delivery_skip(organisation_id: int, claim: Claim) -> None:
    """Record that there was nothing worth sending, so later sweeps don't ask again."""
    try:
        with transaction.atomic():
            EmailDelivery.objects.create(
                organisation_id=organisation_id,
                kind=claim.kind,
                recipient=claim.recipient,
                period_key=claim.period_key,
                state=DeliveryState.SKIPPED,
            )
    except IntegrityError:
        pass  # it was sent or skipped already


def _settle(claims: Sequence[Claim], state: str, error: str = "") -> None:
    EmailDelivery.objects.filter(_matching(claims), state=DeliveryState.SENDING).update(
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


def _send_then_record_sent(
    message: EmailMultiAlternatives, claims: Sequence[Claim], mailer: BaseEmailBackend | None
) -> None:
    """Send, and record "sent" the moment the server has accepted the message: before
    saying goodbye to it (QUIT), so a worker that dies leaves the smallest window in
    which an email went out but its claim still says "sending". A batch's open `mailer`
    stays open for the next message."""
    if mailer is not None:
        if mailer.send_messages([message]):
            _settle(claims, DeliveryState.SENT)
        return
    connection = get_connection()
    connection.open()
    try:
        if connection.send_messages([message]):
            _settle(claims, DeliveryState.SENT)
    finally:
        try:
            connection.close()
        except Exception:  # the message is sent; a failed goodbye changes nothing
            logger.warning("Closing the mail connection failed", exc_info=True)


def claimed_send(
    claims: Sequence[Claim],
    build: Callable[[], EmailMultiAlternatives],
    mailer: BaseEmailBackend | None = None,
) -> bool:
    """Build and send the message for claims this worker holds, and record how it went.
    A batch passes its open `mailer`, to send over one connection to the server.

    A recipient the server refuses for good (5xx at RCPT) is logged and marked bounced;
    nothing is raised, so the rest of a batch goes on. Anything else (the server is down,
    a temporary refusal, a bug in the template) gives the claims back and is raised for
    the task to retry. A worker killed mid-send settles nothing: its claims are sent again
    once their lease runs out.
    """
    message: EmailMultiAlternatives | None = None
    try:
        message = build()
        message.extra_headers["Message-ID"] = message_id(claims)
        _send_then_record_sent(message, claims, mailer)
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        if codes and all(code >= 500 for code in codes):
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


# Status colours for email progress bars; the status is always written in words too.
STATUS_COLOURS = {
    "on_track": "#1f7a4d",
    "at_risk": "#a15c00",
    "off_track": "#b3261e",
}
NO_STATUS_COLOUR = "#5b6b82"


@dataclass(frozen=True, slots=True)
class Bar:
    """A progress bar that email clients draw: two table cells, not SVG. The status is
    written beside it in words; its colour is never the only sign."""

    percent: int | None
    colour: str
    label: str

    @classmethod
    def of(cls, value: float | None, status: str = "", label: str = "") -> "Bar":
        percent = None if value is None else round(max(0.0, min(100.0, value)))
        known = status in STATUS_COLOURS
        return cls(percent, STATUS_COLOURS.get(status, NO_STATUS_COLOUR), label if known else "")

    @property
    def rest(self) -> int:
        return 100 - (self.percent or 0)


class OneLineHeader(str):
    """A header value written out on one line, as it is.

    Python's email package folds a header longer than 78 characters, and a long URL with
    no spaces to break at comes out as RFC 2047 encoded words, which mail clients do not
    read as a List-Unsubscribe link. Lines up to 998 characters are allowed (RFC 5322).
    """

    name: str

    def __new__(cls, name: str, value: str) -> "OneLineHeader":
        if len(name) + len(value) + 2 > 998 or "\n" in value or "\r" in value:
            raise ValueError(f"{name} does not fit on one line")
        header = super().__new__(cls, value)
        header.name = name  # how email.policy recognises a ready-made header
        return header

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        # Copied with the message (the test outbox keeps deep copies).
        return (self.name, str(self))

    def fold(self, *, policy: Any) -> str:
        return f"{self.name}: {self}{policy.linesep}"


# The longest line SMTP carries (RFC 5321), line ending apart.
SMTP_LINE_LIMIT = 998


def transfer_encoding(text: str) -> str | None:
    """How a text part goes over SMTP: as it is (7bit, or 8bit UTF-8) when every line fits;
    else None, for the email package to choose (quoted-printable).

    The email package quotes any part with a line over 78 characters, and every one of
    these emails has one (its signed unsubscribe link): for a digest that cost more than
    rendering it, and made the body a third bigger."""
    lines = text.encode().splitlines() if text else []
    if max(map(len, lines), default=0) > SMTP_LINE_LIMIT:
        return None
    return "7bit" if text.isascii() else "8bit"


class _HeaderClasses(HeaderRegistry):
    """Python's header registry, making each kind of header's class once: it makes a
    new class for every header of every message (some 30 an email), a tenth of the
    cost of sending a digest."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._made:
            self._made[key] = super().__getitem__(name)
        return self._made[key]


_HEADER_CLASSES = _HeaderClasses()
_POLICIES: dict[Policy, Policy] = {}


class OrganisationEmail(EmailMultiAlternatives):
    """A plain-text body and its HTML twin, each sent unquoted when its lines allow."""

    def message(
        self, *, policy: Policy | None = email.policy.default
    ) -> email.message.EmailMessage:
        policy = policy or email.policy.default
        if policy not in _POLICIES:
            # typeshed has clone() take only what every policy has.
            _POLICIES[policy] = policy.clone(header_factory=_HEADER_CLASSES)  # type: ignore[call-arg]
        return super().message(policy=_POLICIES[policy])

    def _add_bodies(self, msg: email.message.EmailMessage) -> None:
        charset = self.encoding or settings.DEFAULT_CHARSET
        body = str(self.body)
        msg.set_content(body, charset=charset, cte=transfer_encoding(body))
        for content, mimetype in self.alternatives:
            maintype, subtype = mimetype.split("/", 1)
            if maintype != "text" or not isinstance(content, str):
                raise ValueError(f"{mimetype} is not a text alternative")
            msg.add_alternative(
                content, subtype=subtype, charset=charset, cte=transfer_encoding(content)
            )


# The same for every email: parsed once, not for each message.
_FIXED_HEADERS = {
    # One-click unsubscribe (RFC 8058).
    "List-Unsubscribe-Post": email.policy.SMTP.header_factory("List-Unsubscribe-Post", ONE_CLICK),
    # Automatic mail: out-of-office replies should not answer it (RFC 3834).
    "Auto-Submitted": email.policy.SMTP.header_factory("Auto-Submitted", "auto-generated"),
}


def from_address(organisation: Organisation) -> str:
    """The site's sending address, with the organisation's name to show."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # A header is one line, whatever was typed as the organisation's name.
    name = " ".join(organisation.name.split())
    return formataddr((f"{name} via Waymark", address))


def subject_line(organisation: Organisation, text: str) -> str:
    return " ".join(f"{organisation.name}: {text}".split())


def organisation_email(
    organisation: Organisation,
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    unsubscribe_url: str,
) -> EmailMultiAlternatives:
    """A multipart email from an organisation, with the links and headers every one of
    these emails carries: one-click unsubscribe (RFC 8058) and a way to the preferences."""
    context = context | {
        "organisation": organisation,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": settings.SITE_URL + reverse("email_preferences"),
    }
    message = OrganisationEmail(
        subject=subject_line(organisation, subject),
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=from_address(organisation),
        to=[to],
        headers={
            "List-Unsubscribe": OneLineHeader("List-Unsubscribe", f"<{unsubscribe_url}>"),
            **_FIXED_HEADERS,
        },
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message


# Long enough for the task enqueued at the invitation's commit to have run.
UNSENT_GRACE = timedelta(minutes=5)


def invitations_unsent() -> list[int]:
    """Open invitations whose email never went out (their send was never enqueued)."""
    cutoff = timezone.now() - UNSENT_GRACE
    return list(
        Invitation.objects.pending()
        .filter(sent_at__isnull=True, created_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
