"""/healthz says the process is alive, /readyz that it can work: the database and its
migrations, Redis, a worker's heartbeat and beat's sweeps."""

import time
import uuid

import pytest
import redis
from django.core.management import CommandError, call_command
from django.db.migrations.executor import MigrationExecutor

from config import health
from core import heartbeats
from tests.conftest import _reachable, require_service


@pytest.fixture(autouse=True)
def migrations_unchecked(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(health, "_migrations_checked_at", float("-inf"))


@pytest.fixture
def real_redis(settings):
    """The run's Redis, with heartbeats of this test's own."""
    require_service(bool(settings.REDIS_URL) and _reachable(settings.REDIS_URL), "Redis")
    settings.HEARTBEAT_PREFIX = f"test-heartbeat-{uuid.uuid4()}"
    yield redis.Redis.from_url(settings.REDIS_URL)
    keys = list(
        redis.Redis.from_url(settings.REDIS_URL).scan_iter(f"{settings.HEARTBEAT_PREFIX}:*")
    )
    if keys:
        redis.Redis.from_url(settings.REDIS_URL).delete(*keys)


def stamp_at(connection, settings, name: str, seconds_ago: float) -> None:
    connection.set(f"{settings.HEARTBEAT_PREFIX}:{name}", repr(time.time() - seconds_ago))


def test_healthz_answers_whatever_the_host_without_the_database(client, settings):
    # No database for this test: touching it would raise.
    settings.ALLOWED_HOSTS = ["waymark.example"]
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.text == "ok"
    # Any other page still refuses that Host.
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_readyz_without_redis_reports_what_applies(db, client, settings):
    settings.REDIS_URL = ""
    settings.ALLOWED_HOSTS = ["waymark.example"]
    response = client.get("/readyz", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "redis": "not applicable",
            "worker": "not applicable",
            "beat": "not applicable",
        },
    }


def test_the_migration_check_is_cached_once_all_are_applied(db, client, settings, monkeypatch):
    settings.REDIS_URL = ""
    plans = []
    original = MigrationExecutor.migration_plan

    def counted(self, *args, **kwargs):
        plans.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MigrationExecutor, "migration_plan", counted)
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert len(plans) == 1


def test_unapplied_migrations_are_not_ready(db, client, settings, monkeypatch):
    settings.REDIS_URL = ""
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("m", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failing: unapplied migrations"


def test_readyz_with_redis_needs_a_worker_and_beat(db, client, settings, real_redis):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"] == "ok"
    assert checks["worker"] == "failing: never seen"
    assert checks["beat"] == "failing: never seen"

    stamp_at(real_redis, settings, heartbeats.ANY_WORKER, 5)
    stamp_at(real_redis, settings, heartbeats.SWEEP, 60)
    assert client.get("/readyz").status_code == 200

    stamp_at(real_redis, settings, heartbeats.ANY_WORKER, heartbeats.WORKER_STALE_SECONDS + 30)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("failing: last seen")


def test_beat_counts_as_seen_by_its_own_stamp_or_a_sweep(db, client, settings, real_redis):
    stamp_at(real_redis, settings, heartbeats.ANY_WORKER, 1)
    stale = heartbeats.beat_stale_seconds() + 10
    stamp_at(real_redis, settings, heartbeats.SWEEP, stale)
    stamp_at(real_redis, settings, heartbeats.BEAT, stale)
    assert client.get("/readyz").json()["checks"]["beat"].startswith("failing: last seen")
    stamp_at(real_redis, settings, heartbeats.BEAT, 10)
    assert client.get("/readyz").json()["checks"]["beat"] == "ok"


def test_redis_unreachable_is_not_ready(db, client, settings):
    from tests.integration.machinery import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("failing")
    assert response.json()["checks"]["database"] == "ok"


def test_the_heartbeat_command_checks_this_hosts_worker(settings, real_redis):
    with pytest.raises(CommandError, match="No heartbeat"):
        call_command("heartbeat", "worker")
    stamp_at(real_redis, settings, heartbeats.worker_name(), 3)
    call_command("heartbeat", "worker")
    stamp_at(real_redis, settings, heartbeats.worker_name(), heartbeats.WORKER_STALE_SECONDS + 1)
    with pytest.raises(CommandError, match="was 6"):
        call_command("heartbeat", "worker")


def test_the_heartbeat_command_checks_beat(settings, real_redis):
    with pytest.raises(CommandError, match="No heartbeat"):
        call_command("heartbeat", "beat")
    stamp_at(real_redis, settings, heartbeats.BEAT, 30)
    call_command("heartbeat", "beat")
