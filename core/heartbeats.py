"""Signs of life in Redis: each worker stamps its key every few seconds, beat stamps its
own when it starts and whenever it sends a scheduled task, and a worker running a sweep
stamps "sweep". /readyz reads them; each container's healthcheck reads its own
(`manage.py heartbeat worker|beat`).

Redis rather than the database: a stamp every few seconds from every worker is not
worth a write to PostgreSQL, and a lost stamp is rewritten a moment later.
"""

import contextlib
import socket
import time
from typing import Any

import redis
from celery import bootsteps
from django.conf import settings

# How often a worker stamps, and how old a stamp may be before its writer is taken for
# dead: a few missed stamps, so one slow Redis reply does not fail a healthcheck.
WORKER_INTERVAL_SECONDS = 10
WORKER_STALE_SECONDS = 60

ANY_WORKER = "worker"
BEAT = "beat"
SWEEP = "sweep"


def beat_stale_seconds() -> int:
    """Beat sends the sweeps every SWEEP_SECONDS: two missed and a minute is too old."""
    return 2 * settings.SWEEP_SECONDS + 60


def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)


def _key(name: str) -> str:
    return f"{settings.HEARTBEAT_PREFIX}:{name}"


def worker_name(hostname: str | None = None) -> str:
    return f"{ANY_WORKER}:{hostname or socket.gethostname()}"


def stamp(*names: str, ttl: int) -> None:
    now = time.time()
    with client().pipeline(transaction=False) as pipe:
        for name in names:
            pipe.set(_key(name), repr(now), ex=ttl)
        pipe.execute()


def age(name: str, connection: redis.Redis | None = None) -> float | None:
    """Seconds since `name` last stamped, or None if it never did (or long ago)."""
    value = (connection or client()).get(_key(name))
    if value is None:
        return None
    return max(0.0, time.time() - float(value))


# ---- Celery.


def _worker_stamp(hostname: str) -> None:
    stamp(ANY_WORKER, worker_name(hostname), ttl=WORKER_STALE_SECONDS * 10)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker bootstep (config.celery adds it): stamps from the worker's own timer, in
    its main process, so a worker that has hung stops stamping."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None

    def start(self, worker: Any) -> None:
        hostname = socket.gethostname()

        def beat() -> None:
            # Redis away: no stamp (the worker's broker connection logs the outage).
            with contextlib.suppress(redis.RedisError):
                _worker_stamp(hostname)

        beat()
        self.tref = worker.timer.call_repeatedly(WORKER_INTERVAL_SECONDS, beat)

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()


def _beat_stamp() -> None:
    # Redis away: no stamp, and beat carries on (its sends fail and say so).
    if settings.REDIS_URL:
        with contextlib.suppress(redis.RedisError):
            stamp(BEAT, ttl=beat_stale_seconds() * 10)


def _beat_sent(sender: str = "", **kwargs: Any) -> None:
    # after_task_publish fires in every process that sends; only beat's stamp "beat".
    if _in_beat and sender in _scheduled_tasks():
        _beat_stamp()


def _sweep_started(sender: Any = None, **kwargs: Any) -> None:
    name = getattr(sender, "name", "")
    if name in _scheduled_tasks() and settings.REDIS_URL:
        with contextlib.suppress(redis.RedisError):
            stamp(SWEEP, ttl=beat_stale_seconds() * 10)


def _scheduled_tasks() -> set[str]:
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


_in_beat = False


def _mark_beat(**kwargs: Any) -> None:
    global _in_beat
    _in_beat = True
    _beat_stamp()


def connect_celery() -> None:
    from celery.signals import after_task_publish, beat_init, task_prerun

    beat_init.connect(_mark_beat, weak=False, dispatch_uid="heartbeat_beat_init")
    after_task_publish.connect(_beat_sent, weak=False, dispatch_uid="heartbeat_beat_sent")
    task_prerun.connect(_sweep_started, weak=False, dispatch_uid="heartbeat_sweep")
