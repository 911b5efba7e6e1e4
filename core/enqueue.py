"""Handing work to Celery once the transaction that made it has committed.

The broker being down must never undo or fail what the person just saved: the work
it would have started lives in the database, and the next beat sweep finds it.
"""

import logging
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What publishing raises when Redis is unreachable or refuses the message.
BROKER_ERRORS = (OperationalError, RedisError, OSError)


def enqueue(task: Any, *args: Any) -> bool:
    """Send `task(*args)` to the workers now. Returns False, having logged, if the broker
    could not take it."""
    try:
        task.delay(*args)
    except BROKER_ERRORS:
        logger.exception(
            "Could not enqueue %s%r; the next sweep will find the work", task.name, args
        )
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Enqueue `task(*args)` after the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args))
