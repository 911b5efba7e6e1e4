"""/healthz (the process is alive) and /readyz (it can do its work), for load balancers,
container healthchecks and orchestrators.

Both are answered by HealthMiddleware, first in the stack: before the Host header is
checked (a healthcheck asks for 127.0.0.1 or the pod's address, which ALLOWED_HOSTS
rightly leaves out), before the HTTPS redirect and without the request log line that
every probe would otherwise add every few seconds.
"""

import json
import logging
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from core import heartbeats

logger = logging.getLogger(__name__)

NOT_APPLICABLE = "not applicable"
OK = "ok"
# A database found fully migrated stays so for this process's life (new migrations come
# with new code, in new processes); one found behind is asked again after this long.
MIGRATIONS_RECHECK_SECONDS = 10.0

_migrated = False
_migrations_checked_at = float("-inf")


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Alive: answers without touching the database, Redis or anything else."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    ready = all(result in (OK, NOT_APPLICABLE) for result in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    response = HttpResponse(
        json.dumps(body), content_type="application/json", status=200 if ready else 503
    )
    response["Cache-Control"] = "no-store"
    return response


def readiness() -> dict[str, str]:
    checks = {"database": _database(), "migrations": _migrations()}
    if not settings.REDIS_URL:
        # SQLite-style development: tasks run in process, there is no worker or beat.
        checks |= {"redis": NOT_APPLICABLE, "worker": NOT_APPLICABLE, "beat": NOT_APPLICABLE}
        return checks
    try:
        connection_ = heartbeats.client()
        connection_.ping()
        if settings.CELERY_BROKER_URL.startswith("redis"):
            redis.Redis.from_url(
                settings.CELERY_BROKER_URL, socket_connect_timeout=0.5, socket_timeout=0.5
            ).ping()
    except (redis.RedisError, OSError) as error:
        return checks | {
            "redis": f"failing: {type(error).__name__}",
            "worker": "unknown",
            "beat": "unknown",
        }
    checks["redis"] = OK
    checks["worker"] = _recent(
        heartbeats.age(heartbeats.ANY_WORKER, connection_), heartbeats.WORKER_STALE_SECONDS
    )
    ages = [
        age
        for age in (
            heartbeats.age(heartbeats.BEAT, connection_),
            heartbeats.age(heartbeats.SWEEP, connection_),
        )
        if age is not None
    ]
    checks["beat"] = _recent(min(ages) if ages else None, heartbeats.beat_stale_seconds())
    return checks


def _recent(age: float | None, limit: float) -> str:
    if age is None:
        return "failing: never seen"
    if age > limit:
        return f"failing: last seen {age:.0f}s ago"
    return OK


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"failing: {type(error).__name__}"
    return OK


def _migrations() -> str:
    global _migrated, _migrations_checked_at
    if _migrated:
        return OK
    if time.monotonic() - _migrations_checked_at < MIGRATIONS_RECHECK_SECONDS:
        return "failing: unapplied migrations"
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return f"failing: {type(error).__name__}"
    _migrations_checked_at = time.monotonic()
    _migrated = not plan
    return OK if _migrated else "failing: unapplied migrations"


ANSWERS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
}


class HealthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        answer = ANSWERS.get(request.path_info)
        if answer is not None and request.method in ("GET", "HEAD"):
            return answer(request)
        return self.get_response(request)
