"""Outgoing webhooks: an event becomes one delivery for each endpoint that wants it, and
each delivery is claimed before it is sent, so that it goes once however many workers,
task runs or sweeps try. A failure is tried again later, backing off; an endpoint that
keeps failing for a day is disabled and the admin who added it is told."""

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from integrations import outbound
from integrations.models import (
    DeliveryAttempt,
    SendState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    lease,
)
from integrations.signing import signed_headers
from orgs.emails import from_address, subject_line
from orgs.models import User

logger = logging.getLogger(__name__)

# Deliveries older than this are left alone by the sweep: by then the retries are over.
SWEEP_WINDOW = timedelta(days=2)


def webhook_deliveries_create(
    uid: uuid.UUID, organisation_id: int, name: str, payload: dict[str, Any], at: datetime
) -> list[int]:
    """Record the event and a delivery of it for each active endpoint of the organisation
    that subscribed to it. Returns the deliveries' ids; none when nobody wants it."""
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            organisation_id=organisation_id, is_active=True
        )
        if name in endpoint.events
    ]
    if not endpoints:
        return []
    event, _ = WebhookEvent.objects.get_or_create(
        uid=uid,
        defaults={
            "organisation_id": organisation_id,
            "name": name,
            "payload": payload,
            "happened_at": at,
        },
    )
    # One row per (event, endpoint): an event told twice makes no second delivery.
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint=endpoint) for endpoint in endpoints],
        ignore_conflicts=True,
    )
    return list(event.deliveries.values_list("pk", flat=True))


def body_of(event: WebhookEvent) -> bytes:
    """What is posted: the Standard Webhooks shape (type, timestamp, data)."""
    document = {
        "type": event.name,
        "timestamp": event.happened_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a delivery is tried again: the base,
    times four for each earlier failure (1, 4, 16 minutes... about a day in all)."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** (attempts - 1))


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for this worker: one conditional UPDATE, which only one of two
    workers wins. A delivery left "sending" by a worker that died is taken again once
    its lease has run out."""
    due = Q(state__in=[SendState.PENDING, SendState.FAILED], next_attempt_at__lte=now)
    abandoned = Q(state=SendState.SENDING, claimed_at__lt=now - lease())
    return bool(
        WebhookDelivery.objects.filter(due | abandoned, pk=delivery_id).update(
            state=SendState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


@dataclass(frozen=True, slots=True)
class Sent:
    """How a send went: whether it succeeded, and when to try again if it is to be."""

    ok: bool
    retry_in: timedelta | None = None


def webhook_delivery_send(delivery_id: int, *, by: User | None = None) -> Sent | None:
    """Send the delivery if this call can claim it, log the attempt and settle the row.
    Returns None when it was not this call's to send (sent, being sent, not due)."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _settle(delivery, SendState.GAVE_UP, None, 0, "The endpoint is disabled.", by)
        return Sent(ok=False)
    body = body_of(delivery.event)
    headers = signed_headers(endpoint.secret, f"msg_{delivery.uid.hex}", int(time.time()), body)
    status, elapsed, error = None, 0, ""
    try:
        answer = outbound.request("POST", endpoint.url, body=body, headers=headers)
    except (outbound.RefusedAddress, outbound.FetchFailed) as failure:
        error = str(failure)
    else:
        status, elapsed = answer.status, answer.elapsed_ms
        if not 200 <= status < 300:
            error = f"The endpoint answered {status}."
    if not error:
        _settle(delivery, SendState.SENT, status, elapsed, "", by)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=0, failing_since=None
        )
        return Sent(ok=True)
    retry = delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS
    state = SendState.FAILED if retry else SendState.GAVE_UP
    _settle(delivery, state, status, elapsed, error, by)
    _endpoint_failed(endpoint.pk, now)
    return Sent(ok=False, retry_in=backoff(delivery.attempts) if retry else None)


def _settle(
    delivery: WebhookDelivery,
    state: str,
    status: int | None,
    elapsed: int,
    error: str,
    by: User | None,
) -> None:
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        status_code=status,
        duration_ms=elapsed,
        error=error[:300],
        requested_by=by,
    )
    now = timezone.now()
    changes: dict[str, Any] = {"state": state}
    if state == SendState.SENT:
        changes["sent_at"] = now
    if state == SendState.FAILED:
        changes["next_attempt_at"] = now + backoff(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk, state=SendState.SENDING).update(**changes)


def _endpoint_failed(endpoint_id: int, now: datetime) -> None:
    """Count the failure; disable the endpoint once it has failed often enough, for long
    enough, and tell whoever added it (once: the UPDATE that disables it is the claim)."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1,
        failing_since=Coalesce(F("failing_since"), now),
    )
    failing_long = now - settings.WEBHOOK_DISABLE_AFTER
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint_id,
        is_active=True,
        consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER_FAILURES,
        failing_since__lte=failing_long,
    ).update(
        is_active=False,
        disabled_at=now,
        disabled_reason="It failed every delivery for a day, so Waymark stopped sending.",
    )
    if disabled:
        endpoint_disabled_email(endpoint_id)


def endpoint_disabled_email(endpoint_id: int) -> bool:
    """Tell the admin who added the endpoint that it was disabled. Returns whether sent."""
    endpoint = WebhookEndpoint.objects.select_related("organisation", "created_by").get(
        pk=endpoint_id
    )
    owner = endpoint.created_by
    if owner is None or not owner.is_active:
        return False
    organisation = endpoint.organisation
    context = {
        "endpoint": endpoint,
        "organisation": organisation,
        "endpoint_url": settings.SITE_URL
        + reverse("integrations:endpoint", args=[organisation.slug, endpoint.uid]),
    }
    message = EmailMultiAlternatives(
        subject=subject_line(organisation, "a webhook endpoint was disabled"),
        body=render_to_string("emails/webhook_disabled.txt", context),
        from_email=from_address(organisation),
        to=[owner.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("emails/webhook_disabled.html", context), "text/html"
    )
    try:
        message.send()
    except Exception:
        logger.exception("Telling %s that endpoint %s was disabled failed", owner.pk, endpoint.pk)
        return False
    return True


def webhook_delivery_resend(delivery: WebhookDelivery) -> bool:
    """An admin's "send again": due now, whatever its state, unless it is being sent.
    The next send is a new attempt of the same delivery (the same webhook-id)."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .exclude(state=SendState.SENDING)
        .update(state=SendState.PENDING, next_attempt_at=timezone.now())
    )


def webhook_deliveries_due(now: datetime) -> list[int]:
    """Deliveries to send now: due (new, or a failure whose wait is over), or left
    "sending" by a worker that died. What the sweep enqueues."""
    recent = Q(created_at__gte=now - SWEEP_WINDOW)
    due = Q(state__in=[SendState.PENDING, SendState.FAILED], next_attempt_at__lte=now)
    abandoned = Q(state=SendState.SENDING, claimed_at__lt=now - lease())
    return list(
        WebhookDelivery.objects.filter(recent & (due | abandoned))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
