"""What beat's daily prune (core.pruning) deletes of the integrations' records, once older
than INTEGRATION_LOG_RETENTION_DAYS:

- webhook events whose every delivery is over (sent, or given up), with their deliveries
  and the log of their attempts: a page of deliveries shows that long a history;
- chat posts that are over: each is the claim that posts a message once, and one that
  old is about an event, a day's reminders or a week's digest no sweep chooses again.

Anything still waiting to be sent, being sent or to be tried again stays.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.pruning import delete_in_chunks, pruner
from integrations.models import ChannelPost, SendState, WebhookDelivery, WebhookEvent

OVER = [SendState.SENT, SendState.GAVE_UP]


def _cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.INTEGRATION_LOG_RETENTION_DAYS)


@pruner("webhook_events")
def webhook_events_prune() -> int:
    unfinished = WebhookDelivery.objects.filter(event=OuterRef("pk")).exclude(state__in=OVER)
    return delete_in_chunks(
        WebhookEvent.objects.filter(happened_at__lt=_cutoff()).exclude(Exists(unfinished))
    )


@pruner("chat_posts")
def chat_posts_prune() -> int:
    return delete_in_chunks(ChannelPost.objects.filter(created_at__lt=_cutoff(), state__in=OVER))
