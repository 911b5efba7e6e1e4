"""A retried POST answered once: the same Idempotency-Key gets the first answer again.

The key's row is inserted in the same transaction as the work, before it: a second
request with the key, arriving while the first is still at work, waits on the unique
constraint, fails when the first commits, and replays its answer. Only answers that
did something are kept; a refused request changed nothing and may be sent again.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import ApiToken, IdempotentRequest
from api.problems import Problem

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(method: str, path: str, payload: dict[str, Any]) -> str:
    text = json.dumps([method, path, payload], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(found: IdempotentRequest, print_: str) -> Answer:
    if found.fingerprint != print_:
        raise Problem(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was used for a different request. Use a new key for a new one.",
            errors=[{"field": HEADER, "message": "Already used for a different request."}],
        )
    if found.body is None:
        # The first request with this key is still at work (seen only where the database
        # shows another's uncommitted row, as SQLite's shared in-memory one does).
        raise Problem(
            409,
            "conflict",
            "A request with this Idempotency-Key is still being recorded. Send it again "
            "in a second to get its answer.",
            headers={"Retry-After": "1"},
        )
    return Answer(found.status, found.body, replayed=True)


def once(token: ApiToken, key: str | None, print_: str, work: Callable[[], Answer]) -> Answer:
    """`work()`'s answer, or, for a key this token used before, the answer it got then."""
    if key is None:
        return work()
    if not 1 <= len(key) <= 255:
        raise Problem(
            422,
            "validation_failed",
            f"An {HEADER} is 1 to 255 characters; a UUID is a good one.",
            errors=[{"field": HEADER, "message": "Use 1 to 255 characters."}],
        )
    found = IdempotentRequest.objects.filter(token=token, key=key).first()
    if found is not None:
        cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
        if found.created_at >= cutoff:
            return _replay(found, print_)
        found.delete()  # forgotten: the key is a new request again
    try:
        with transaction.atomic():
            row = IdempotentRequest.objects.create(token=token, key=key, fingerprint=print_)
            answer = work()
            row.status, row.body = answer.status, answer.body
            row.save(update_fields=["status", "body"])
    except IntegrityError:
        found = IdempotentRequest.objects.filter(token=token, key=key).first()
        if found is None:
            raise
        return _replay(found, print_)
    return answer
