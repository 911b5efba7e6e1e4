"""What integrations does when something happens (core.events): webhook deliveries and
chat posts are recorded, then handed to the workers."""

import uuid
from datetime import datetime
from typing import Any

from django.dispatch import receiver

from core.enqueue import enqueue
from core.events import event_happened
from integrations import channels, tasks, webhooks


@receiver(event_happened)
def event_heard(
    sender: Any,
    uid: uuid.UUID,
    organisation_id: int,
    name: str,
    payload: dict[str, Any],
    at: datetime,
    **kwargs: Any,
) -> None:
    for delivery_id in webhooks.webhook_deliveries_create(uid, organisation_id, name, payload, at):
        enqueue(tasks.send_webhook, delivery_id)
    for post_id in channels.event_posts_create(name, payload, uid, organisation_id):
        enqueue(tasks.send_channel_post, post_id)
