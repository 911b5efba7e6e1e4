"""Beat's daily prune: records that only pile up, each app's own.

An app says what it prunes by registering a function that deletes it and returns how
many rows went (`@pruner("name")`, in a module its AppConfig.ready imports); the daily
task (orgs.tasks.prune_records) runs them all. Each deletes in chunks, so a large backlog
never holds a long lock.
"""

import logging
from collections.abc import Callable

from django.db.models import QuerySet

logger = logging.getLogger(__name__)

CHUNK = 5000

PRUNERS: dict[str, Callable[[], int]] = {}


def pruner(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    def register(prune: Callable[[], int]) -> Callable[[], int]:
        PRUNERS[name] = prune
        return prune

    return register


def delete_in_chunks(rows: QuerySet) -> int:
    deleted = 0
    while True:
        ids = list(rows.values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return deleted
        count, _ = rows.model._default_manager.filter(pk__in=ids).delete()
        deleted += count


def prune_all() -> dict[str, int]:
    """Every registered prune; how many rows each deleted (cascades included)."""
    deleted = {name: prune() for name, prune in PRUNERS.items()}
    logger.info("Pruned %s", ", ".join(f"{count} {name}" for name, count in deleted.items()))
    return deleted
