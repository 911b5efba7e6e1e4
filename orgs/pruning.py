"""What beat's daily prune (core.pruning) deletes of the organisations' records.

- Expired sessions (Django keeps them until something clears them).
- The list of a person's signed-in browsers (allauth.usersessions) for sessions that have
  ended, once they are older than USER_SESSION_RETENTION_DAYS.
- Email claims (EmailDelivery) older than EMAIL_DELIVERY_RETENTION_DAYS, but for those
  still being sent: a claim that old is for a period long past, which no sweep chooses
  again, so deleting it cannot send anything twice.

Login lockouts and rate limits need nothing: allauth keeps them in the cache, where they
expire by themselves.
"""

from datetime import timedelta

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.deliveries import DeliveryState
from core.pruning import delete_in_chunks, pruner
from orgs.models import EmailDelivery


@pruner("sessions")
def sessions_prune() -> int:
    return delete_in_chunks(Session.objects.filter(expire_date__lt=timezone.now()))


@pruner("user_sessions")
def user_sessions_prune() -> int:
    cutoff = timezone.now() - timedelta(days=settings.USER_SESSION_RETENTION_DAYS)
    live = Session.objects.filter(
        session_key=OuterRef("session_key"), expire_date__gte=timezone.now()
    )
    return delete_in_chunks(
        UserSession.objects.filter(last_seen_at__lt=cutoff).exclude(Exists(live))
    )


@pruner("email_deliveries")
def email_deliveries_prune() -> int:
    cutoff = timezone.now() - timedelta(days=settings.EMAIL_DELIVERY_RETENTION_DAYS)
    return delete_in_chunks(
        EmailDelivery.objects.filter(created_at__lt=cutoff).exclude(state=DeliveryState.SENDING)
    )
