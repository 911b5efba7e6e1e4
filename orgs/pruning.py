"""What beat's daily prune deletes: records that only pile up.

- Expired sessions (Django keeps them until something clears them).
- The list of a person's signed-in browsers (allauth.usersessions) for sessions that have
  ended, once they are older than USER_SESSION_RETENTION_DAYS.
- Email claims (EmailDelivery) older than EMAIL_DELIVERY_RETENTION_DAYS, but for those
  still being sent: a claim that old is for a period long past, which no sweep chooses
  again, so deleting it cannot send anything twice.

Login lockouts and rate limits need nothing: allauth keeps them in the cache, where they
expire by themselves.

Each deletes in chunks, so a large backlog never holds a long lock.
"""

import logging
from datetime import timedelta

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.deliveries import DeliveryState
from orgs.models import EmailDelivery

logger = logging.getLogger(__name__)

CHUNK = 5000


def _delete_in_chunks(rows: QuerySet) -> int:
    deleted = 0
    while True:
        ids = list(rows.values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return deleted
        count, _ = rows.model._default_manager.filter(pk__in=ids).delete()
        deleted += count


def sessions_prune() -> int:
    return _delete_in_chunks(Session.objects.filter(expire_date__lt=timezone.now()))


def user_sessions_prune() -> int:
    cutoff = timezone.now() - timedelta(days=settings.USER_SESSION_RETENTION_DAYS)
    live = Session.objects.filter(
        session_key=OuterRef("session_key"), expire_date__gte=timezone.now()
    )
    return _delete_in_chunks(
        UserSession.objects.filter(last_seen_at__lt=cutoff).exclude(Exists(live))
    )


def email_deliveries_prune() -> int:
    cutoff = timezone.now() - timedelta(days=settings.EMAIL_DELIVERY_RETENTION_DAYS)
    return _delete_in_chunks(
        EmailDelivery.objects.filter(created_at__lt=cutoff).exclude(state=DeliveryState.SENDING)
    )


def records_prune() -> dict[str, int]:
    """Prune everything above; returns how many of each were deleted."""
    deleted = {
        "sessions": sessions_prune(),
        "user_sessions": user_sessions_prune(),
        "email_deliveries": email_deliveries_prune(),
    }
    logger.info("Pruned %s", ", ".join(f"{count} {name}" for name, count in deleted.items()))
    return deleted
