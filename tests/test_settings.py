import os
import subprocess
import sys

from django.conf import settings


def settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        env=clean | env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_secret_key_is_required_when_debug_is_off():
    result = settings_in_a_fresh_process(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_runs_on_sqlite_without_any_server():
    result = settings_in_a_fresh_process(DEBUG="1", DATABASE_URL="")
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_tasks_run_in_process_without_redis():
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)"],
        env={k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {"DEBUG": "1"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.stdout.strip() == "True"


def test_the_healthcheck_answers(client, db):
    assert client.get("/healthz").text == "ok"


def test_pages_carry_a_content_security_policy(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "frame-ancestors 'none'" in policy


def test_the_cache_builds_its_redis_client_once():
    # Building a redis-py client costs more than a round trip to Redis.
    from config.cache import FaultTolerantRedisCache

    backend = FaultTolerantRedisCache("redis://127.0.0.1:6379/0", {})
    client = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is client
    assert backend._cache.get_client("any key") is client
