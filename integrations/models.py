"""Webhook endpoints and their deliveries, chat channels and their posts, metric feeds."""

import base64
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core import text
from core.events import EVENTS
from metrics.models import Metric
from missions.models import Mission
from orgs.models import Organisation, Team

EVENT_CHOICES = [(name, name) for name in EVENTS]


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: "whsec_" and base64 of 32 bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class SendState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, to be tried again"
    GAVE_UP = "gave_up", "Failed for good"


class WebhookEndpoint(models.Model):
    """An address an organisation's admins asked Waymark to tell of events, signed."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField("address", max_length=500)
    description = text.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The events sent to this address.")
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    is_active = models.BooleanField(default=True)
    # Told when it is disabled for failing: the admin who added it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Failures in a row, and since when: a run of them long enough disables the endpoint.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One event (core.events) as sent to every endpoint that wants it."""

    uid = models.UUIDField(unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_events"
    )
    name = models.CharField(max_length=40, choices=EVENT_CHOICES)
    payload = models.JSONField()
    happened_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.uid}"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the claim that sends it once. Retries and "send
    again" are attempts of this row, with the same webhook-id."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(max_length=8, choices=SendState.choices, default=SendState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="webhook_delivery_once_per_event_endpoint"
            ),
            models.CheckConstraint(
                condition=Q(state__in=SendState.values), name="webhook_delivery_state_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}: {self.state}"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: what the endpoint answered, and how fast."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class Channel(models.Model):
    """A Slack or Teams channel, reached through its incoming-webhook address, that hears
    about the organisation, one team's missions, or one mission."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="chat_channels"
    )
    kind = models.CharField(max_length=5, choices=ChannelKind.choices)
    name = text.CharField(max_length=100, help_text='What you call it, e.g. "#missions".')
    url = models.URLField("incoming-webhook address", max_length=500)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="chat_channels"
    )
    mission = models.ForeignKey(
        Mission, on_delete=models.CASCADE, null=True, blank=True, related_name="chat_channels"
    )
    send_reminders = models.BooleanField("due and overdue check-ins", default=True)
    send_digest = models.BooleanField("the weekly digest", default=True)
    send_status_changes = models.BooleanField("status changes", default=True)
    send_reports = models.BooleanField("published reports", default=True)
    is_active = models.BooleanField(default=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(mission__isnull=True),
                name="chat_channel_is_for_a_team_or_a_mission_not_both",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ChannelKind.values), name="chat_channel_kind_is_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        if self.mission_id:
            return f"Mission: {self.mission}"
        if self.team_id:
            return f"Team: {self.team}"
        return "The whole organisation"


class ChannelPost(models.Model):
    """One message for one channel: the claim that posts it once. `key` says what it is
    about, e.g. "event:<uid>", "digest:2026-03-02" or "reminders:2026-03-06"."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="posts")
    key = models.CharField(max_length=80)
    body = models.JSONField()
    state = models.CharField(max_length=8, choices=SendState.choices, default=SendState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="chat_post_once_per_key"),
            models.CheckConstraint(
                condition=Q(state__in=SendState.values), name="chat_post_state_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} to {self.channel}: {self.state}"


class FeedFormat(models.TextChoices):
    CSV = "csv", "CSV (a cell, or the last value in a column)"
    JSON = "json", "JSON (a path to the value)"


class MetricFeed(models.Model):
    """Where a metric takes its value from, on its cadence: a CSV or JSON address.

    One-to-one with the metric, here rather than on it, so that metrics need not know
    about fetching. Each value fetched is recorded as a check-in by Waymark itself."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    metric = models.OneToOneField(Metric, on_delete=models.CASCADE, related_name="feed")
    url = models.URLField("address", max_length=500)
    format = models.CharField(max_length=4, choices=FeedFormat.choices, default=FeedFormat.CSV)
    selector = text.CharField(
        "where the value is",
        max_length=200,
        help_text=(
            "CSV: a cell such as B7, or a column (B, or its heading) for its last value. "
            "JSON: a path such as data.items[0].value."
        ),
    )
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # When the owner was told of the current run of failures: once per run, not each time.
    failure_told_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.metric} from {self.url}"

    @property
    def is_failing(self) -> bool:
        return bool(self.last_error)


def lease() -> timedelta:
    """How long a claimed send or fetch belongs to the worker that took it; after that,
    a sweep takes it again (the worker died)."""
    return timedelta(seconds=settings.INTEGRATIONS_CLAIM_LEASE_SECONDS)
