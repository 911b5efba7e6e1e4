"""Beat's daily prune: expired sessions, the records of browsers whose sessions ended, and
old email claims go; everything still in use stays."""

from datetime import timedelta

from allauth.usersessions.models import UserSession
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.deliveries import DeliveryState
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
    from orgs import pruning

    monkeypatch.setattr(pruning, "CHUNK", 3)
    for number in range(8):
        claim(cast.org, f"r{number}@x.example", 400)

    assert prune_records.delay().get()["email_deliveries"] == 8
    assert not EmailDelivery.objects.exists()


def test_beat_runs_the_prune_daily():
    entry = django_settings.CELERY_BEAT_SCHEDULE["prune"]
    assert entry["task"] == "orgs.tasks.prune_records"
    assert entry["schedule"].hour == {4}
