"""What beat's daily prune (core.pruning) deletes of the API's records: the answers kept
for Idempotency-Key retries, once they are older than API_IDEMPOTENCY_HOURS (a key that
old is a new request again: api.idempotency no longer replays it)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from api.models import IdempotentRequest
from core.pruning import delete_in_chunks, pruner


@pruner("idempotent_requests")
def idempotent_requests_prune() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    return delete_in_chunks(IdempotentRequest.objects.filter(created_at__lt=cutoff))
