"""Beat's daily prune: expired sessions, the records of browsers whose sessions ended, old
email claims, spent idempotency keys, and webhook deliveries and chat posts that are long
over go; everything still in use stays."""

import uuid
from datetime import timedelta

from allauth.usersessions.models import UserSession
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from api.models import ApiToken, IdempotentRequest
from core.deliveries import DeliveryState
from integrations.models import (
    Channel,
    ChannelPost,
    DeliveryAttempt,
    SendState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from orgs.models import EmailDelivery, EmailKind
from orgs.tasks import prune_records

DAY = timedelta(days=1)


def session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["anything"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + expires_in
    )
    return store.session_key


def browser(user, session_key: str, last_seen_days_ago: int) -> UserSession:
    return UserSession.objects.create(
        user=user,
        session_key=session_key,
        ip="198.51.100.7",
        user_agent="Firefox",
        last_seen_at=timezone.now() - last_seen_days_ago * DAY,
    )


def claim(org, recipient: str, age_days: int, state: str = DeliveryState.SENT) -> EmailDelivery:
    row = EmailDelivery.objects.create(
        organisation=org,
        kind=EmailKind.DIGEST,
        recipient=recipient,
        period_key=f"week:{recipient}",
        state=state,
    )
    EmailDelivery.objects.filter(pk=row.pk).update(created_at=timezone.now() - age_days * DAY)
    return row


def test_expired_sessions_go_and_live_ones_stay(db):
    expired, live = session(-DAY), session(DAY)

    deleted = prune_records.delay().get()

    assert deleted["sessions"] == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert expired != live


def test_ended_browsers_go_after_their_retention_and_signed_in_ones_stay(cast, settings):
    settings.USER_SESSION_RETENTION_DAYS = 90
    ended_long_ago = browser(cast.member, "gone-long-ago-0001", last_seen_days_ago=100)
    ended_lately = browser(cast.member, "gone-lately-00001", last_seen_days_ago=10)
    still_signed_in = browser(cast.member, session(DAY), last_seen_days_ago=200)

    prune_records.delay()

    assert set(UserSession.objects.values_list("pk", flat=True)) == {
        ended_lately.pk,
        still_signed_in.pk,
    }
    assert not UserSession.objects.filter(pk=ended_long_ago.pk).exists()


def test_old_email_claims_go_but_not_one_being_sent(cast, settings):
    settings.EMAIL_DELIVERY_RETENTION_DAYS = 180
    old_sent = claim(cast.org, "a@x.example", 200)
    old_bounced = claim(cast.org, "b@x.example", 200, DeliveryState.BOUNCED)
    old_sending = claim(cast.org, "c@x.example", 200, DeliveryState.SENDING)
    recent = claim(cast.org, "d@x.example", 20)

    deleted = prune_records.delay().get()

    assert deleted["email_deliveries"] == 2
    remaining = set(EmailDelivery.objects.values_list("pk", flat=True))
    assert remaining == {old_sending.pk, recent.pk}
    assert old_sent.pk not in remaining and old_bounced.pk not in remaining


def test_a_large_backlog_is_deleted_in_chunks(cast, settings, monkeypatch):
    from core import pruning

    monkeypatch.setattr(pruning, "CHUNK", 3)
    for number in range(8):
        claim(cast.org, f"r{number}@x.example", 400)

    assert prune_records.delay().get()["email_deliveries"] == 8
    assert not EmailDelivery.objects.exists()


def test_beat_runs_the_prune_daily():
    entry = django_settings.CELERY_BEAT_SCHEDULE["prune"]
    assert entry["task"] == "orgs.tasks.prune_records"
    assert entry["schedule"].hour == {4}


def test_idempotency_keys_go_once_they_would_be_new_requests_again(cast, settings):
    settings.API_IDEMPOTENCY_HOURS = 24
    token = ApiToken.objects.create(organisation=cast.org, owner=cast.admin, name="Sync")
    spent, fresh = (
        IdempotentRequest.objects.create(token=token, key=key, fingerprint="f", status=201)
        for key in ("spent", "fresh")
    )
    IdempotentRequest.objects.filter(pk=spent.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    assert prune_records.delay().get()["idempotent_requests"] == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["fresh"]
    assert fresh.pk


def webhook_event(org, age_days: int, *states: str) -> WebhookEvent:
    """An event, with a delivery in each state to an endpoint of its own, each tried once."""
    event = WebhookEvent.objects.create(
        uid=uuid.uuid4(),
        organisation=org,
        name="checkin.recorded",
        payload={},
        happened_at=timezone.now() - age_days * DAY,
    )
    for state in states:
        endpoint = WebhookEndpoint.objects.create(organisation=org, url="https://hooks.example/")
        delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, state=state)
        DeliveryAttempt.objects.create(delivery=delivery, number=1, status_code=200)
    return event


def test_webhook_events_long_over_go_with_their_deliveries_and_attempts(cast, settings):
    settings.INTEGRATION_LOG_RETENTION_DAYS = 30
    old_over = webhook_event(cast.org, 40, SendState.SENT, SendState.GAVE_UP)
    old_retrying = webhook_event(cast.org, 40, SendState.SENT, SendState.FAILED)
    recent = webhook_event(cast.org, 5, SendState.SENT)

    # The event, its two deliveries and their two attempts.
    assert prune_records.delay().get()["webhook_events"] == 5

    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_retrying.pk, recent.pk}
    assert not WebhookDelivery.objects.filter(event=old_over.pk).exists()
    assert not DeliveryAttempt.objects.filter(delivery__event=old_over.pk).exists()
    assert WebhookDelivery.objects.filter(event=old_retrying).count() == 2


def test_chat_posts_long_over_go_and_those_still_to_send_stay(cast, settings):
    settings.INTEGRATION_LOG_RETENTION_DAYS = 30
    channel = Channel.objects.create(
        organisation=cast.org, kind="slack", url="https://hooks.slack.example/x"
    )
    posts = {
        (state, age): ChannelPost.objects.create(
            channel=channel, key=f"{state}:{age}", body={}, state=state
        )
        for state in (SendState.SENT, SendState.GAVE_UP, SendState.PENDING, SendState.FAILED)
        for age in (40, 5)
    }
    for (_, age), post in posts.items():
        ChannelPost.objects.filter(pk=post.pk).update(created_at=timezone.now() - age * DAY)

    assert prune_records.delay().get()["chat_posts"] == 2

    assert set(ChannelPost.objects.values_list("key", flat=True)) == {
        "sent:5",
        "gave_up:5",
        "pending:40",
        "pending:5",
        "failed:40",
        "failed:5",
    }
