"""What happened in an organisation, told to whoever listens once the change commits.

The apps that make the change send `event_emit`; the integrations app (webhooks, chat
channels) listens. A signal rather than a call, so that the layers keep pointing down:
missions, metrics and reporting never import what sits above them.
"""

import logging
import uuid
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

logger = logging.getLogger(__name__)

CHECKIN_RECORDED = "checkin.recorded"
METRIC_STATUS_CHANGED = "metric.status_changed"
MISSION_STATUS_CHANGED = "mission.status_changed"
MISSION_CREATED = "mission.created"
MISSION_ARCHIVED = "mission.archived"
REPORT_PUBLISHED = "report.published"
EVENTS = (
    CHECKIN_RECORDED,
    METRIC_STATUS_CHANGED,
    MISSION_STATUS_CHANGED,
    MISSION_CREATED,
    MISSION_ARCHIVED,
    REPORT_PUBLISHED,
)

# Sent with: uid (a UUID naming this event once), organisation_id, name (one of
# EVENTS), payload (a dict that serialises to JSON) and at (when it happened).
event_happened = Signal()


def event_emit(organisation_id: int, name: str, payload: dict[str, Any]) -> None:
    """Tell the listeners once the current transaction commits (at once outside one).

    A change rolled back announces nothing, and a listener that fails is logged, never
    raised: whatever it was told about has been saved already."""
    assert name in EVENTS, name
    uid, at = uuid.uuid4(), timezone.now()

    def send() -> None:
        results = event_happened.send_robust(
            sender=name,
            uid=uid,
            organisation_id=organisation_id,
            name=name,
            payload=payload,
            at=at,
        )
        for receiver, result in results:
            if isinstance(result, Exception):
                logger.error("%r failed on %s", receiver, name, exc_info=result)

    transaction.on_commit(send)
