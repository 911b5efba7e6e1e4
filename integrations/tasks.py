"""Sending webhooks and chat posts, running metric feeds, and the sweeps that find what
is due. Thin: each takes ids and calls what the views call; each claims its work in the
database first, so running twice sends nothing twice."""

from contextlib import suppress

from celery import shared_task

from core.deliveries import moment
from core.enqueue import BROKER_ERRORS, enqueue
from integrations import channels, feeds, webhooks


@shared_task
def send_webhook(delivery_id: int) -> bool | None:
    """Send it; after a failure, enqueue the next try after its back-off (the sweep finds
    it too, should this be lost)."""
    sent = webhooks.webhook_delivery_send(delivery_id)
    if sent is not None and sent.retry_in is not None:
        # Should the broker be down, the sweep sends it once its wait is over.
        with suppress(*BROKER_ERRORS):
            send_webhook.apply_async((delivery_id,), countdown=sent.retry_in.total_seconds())
    return None if sent is None else sent.ok


@shared_task
def send_channel_post(post_id: int) -> bool | None:
    return channels.channel_post_send(post_id)


@shared_task
def run_feed(feed_id: int) -> bool | None:
    return feeds.feed_run(feed_id)


@shared_task
def sweep_integrations(at: str | None = None) -> int:
    """Enqueue what is due: webhook deliveries and chat posts to (re)try, channels'
    reminders and digests, and metric feeds. Returns how many tasks."""
    now = moment(at)
    channels.channel_reminders_create(now)
    channels.channel_digests_create(now)
    work = [(send_webhook, pk) for pk in webhooks.webhook_deliveries_due(now)]
    work += [(send_channel_post, pk) for pk in channels.channel_posts_due(now)]
    work += [(run_feed, pk) for pk in feeds.feeds_due(now)]
    return sum(enqueue(task, pk) for task, pk in work)
