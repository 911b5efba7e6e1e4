"""`manage.py heartbeat worker|beat`: a container healthcheck for a Celery worker or beat.

Exits 0 when the process on this host has stamped its heartbeat recently
(core.heartbeats), 1 otherwise, saying why.
"""

from typing import Any

import redis
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import heartbeats


class Command(BaseCommand):
    help = "Check that this host's Celery worker or beat has stamped its heartbeat recently."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("process", choices=["worker", "beat"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["process"] == "worker":
            name, limit = heartbeats.worker_name(), heartbeats.WORKER_STALE_SECONDS
        else:
            name, limit = heartbeats.BEAT, heartbeats.beat_stale_seconds()
        try:
            age = heartbeats.age(name)
        except (redis.RedisError, OSError) as error:
            raise CommandError(f"Redis is unreachable: {error}") from error
        if age is None:
            raise CommandError(f"No heartbeat from {name} yet.")
        if age > limit:
            raise CommandError(f"The last heartbeat from {name} was {age:.0f}s ago.")
        self.stdout.write(f"{name}: last heartbeat {age:.0f}s ago")
