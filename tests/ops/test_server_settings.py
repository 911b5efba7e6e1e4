"""Settings an operator sets: the server's processes, the queue apart from the cache,
refusing a cache per process in production, PgBouncer, log format and proxies."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from tests.integration.machinery import free_port, stop, wait_for

PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "x" * 50}
SETTINGS_VARIABLES = {
    *("DEBUG", "SECRET_KEY", "REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL", "SENTRY_DSN"),
    *("WEB_WORKERS", "WEB_THREADS", "WEB_MAX_RSS_MB", "WEB_ACCESS_LOG", "LOG_FORMAT"),
    *("DATABASE_PGBOUNCER_TRANSACTION_MODE", "TRUSTED_PROXY_COUNT", "TRUSTED_PROXY_NETWORKS"),
}


def fresh(expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`expression` evaluated in a new process with only these settings variables."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    return subprocess.run(  # noqa: S603 (our own expression)
        [sys.executable, "-c", f"import config.settings as s; print({expression})"],
        env=clean | {"DEBUG": "1"} | env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


@pytest.mark.parametrize(
    ("redis_url", "broker"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1"),
        ("redis://cache.internal:6380/4", "redis://cache.internal:6380/5"),
        ("redis://:pw@127.0.0.1:6379/15", "redis://:pw@127.0.0.1:6379/14"),
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/1"),
    ],
)
def test_the_queue_is_beside_the_cache_not_in_it(redis_url, broker):
    from config.settings import redis_database_beside

    assert redis_database_beside(redis_url) == broker


def test_the_broker_defaults_to_the_database_beside_the_cache_and_may_be_its_own():
    assert fresh("s.CELERY_BROKER_URL", REDIS_URL="redis://127.0.0.1:6379/0").stdout.strip() == (
        "redis://127.0.0.1:6379/1"
    )
    result = fresh(
        "s.CELERY_BROKER_URL",
        REDIS_URL="redis://127.0.0.1:6379/0",
        CELERY_BROKER_URL="redis://queue.internal:6379/0",
    )
    assert result.stdout.strip() == "redis://queue.internal:6379/0"


def test_production_refuses_several_processes_each_with_its_own_cache():
    result = fresh("s.WEB_WORKERS", **PRODUCTION, WEB_WORKERS="4")
    assert result.returncode != 0
    assert "WEB_WORKERS=4 with no REDIS_URL" in result.stderr
    assert "Set REDIS_URL" in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {},  # one process by default without Redis
        {"WEB_WORKERS": "1"},
        {"WEB_WORKERS": "4", "REDIS_URL": "redis://127.0.0.1:6379/0"},
    ],
)
def test_production_starts_with_one_process_or_a_shared_cache(env):
    result = fresh("s.WEB_WORKERS", **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr


def test_pgbouncer_transaction_mode_turns_off_server_side_cursors_and_prepared_statements():
    result = fresh(
        "s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'],"
        " s.DATABASES['default']['OPTIONS']['prepare_threshold']",
        DATABASE_URL="postgres://u@127.0.0.1:6432/waymark",
        DATABASE_PGBOUNCER_TRANSACTION_MODE="1",
    )
    assert result.stdout.strip() == "True None"
    plain = fresh(
        "s.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False)",
        DATABASE_URL="postgres://u@127.0.0.1:5432/waymark",
    )
    assert plain.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
        ({"TRUSTED_PROXY_COUNT": "one"}, "TRUSTED_PROXY_COUNT must be a whole number"),
        (
            {"TRUSTED_PROXY_COUNT": "1", "TRUSTED_PROXY_NETWORKS": "10.0.0.0/8,nonsense"},
            "'nonsense' is not an address or a network",
        ),
        ({"TRUSTED_PROXY_NETWORKS": "10.0.0.0/8"}, "needs TRUSTED_PROXY_COUNT"),
    ],
)
def test_a_wrong_setting_says_what_is_wrong(env, message):
    result = fresh("1", **env)
    assert result.returncode != 0
    assert message in result.stderr


def serve_command(settings, **overrides) -> list[str]:
    from core.management.commands.serve import granian_command

    for name, value in overrides.items():
        setattr(settings, name, value)
    return granian_command(settings.WEB_HOST, settings.WEB_PORT)


def test_the_server_command_comes_from_the_settings(settings):
    command = serve_command(
        settings,
        WEB_WORKERS=3,
        WEB_THREADS=2,
        WEB_MAX_RSS_MB=512,
        WEB_ACCESS_LOG=True,
        WEB_HOST="0.0.0.0",  # noqa: S104
        WEB_PORT=8123,
    )
    assert command[0] == "granian" and command[-1] == "config.wsgi:application"
    for flag, value in [
        ("--workers", "3"),
        ("--blocking-threads", "2"),
        ("--workers-max-rss", "512"),
        ("--host", "0.0.0.0"),  # noqa: S104
        ("--port", "8123"),
    ]:
        assert command[command.index(flag) + 1] == value
    assert "--respawn-failed-workers" in command
    assert "--access-log" in command


def test_by_default_no_memory_cap_and_no_access_log(settings):
    command = serve_command(settings, WEB_MAX_RSS_MB=0, WEB_ACCESS_LOG=False)
    assert "--workers-max-rss" not in command
    assert "--no-access-log" in command
    assert "--respawn-failed-workers" in command


def test_the_settings_read_the_server_variables():
    result = fresh(
        "s.WEB_WORKERS, s.WEB_THREADS, s.WEB_MAX_RSS_MB, s.WEB_ACCESS_LOG",
        WEB_WORKERS="3",
        WEB_THREADS="2",
        WEB_MAX_RSS_MB="512",
        WEB_ACCESS_LOG="1",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.stdout.strip() == "3 2 512 True"


def test_the_production_server_answers_health_checks_whatever_the_host(tmp_path):
    """`manage.py serve` for real, with production settings and a Host the healthcheck
    uses that ALLOWED_HOSTS leaves out: /healthz and /readyz answer, a page refuses."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEB_")} | {
        **PRODUCTION,
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "waymark.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
    )
    server = subprocess.Popen(  # noqa: S603 (our own command)
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 (local)
        except OSError:
            return False
        return True

    try:
        assert wait_for(answers, 60), "the server did not come up"
        with urllib.request.urlopen(base + "/readyz", timeout=5) as ready:  # noqa: S310
            assert ready.status == 200
            assert b'"worker": "not applicable"' in ready.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/", timeout=5)  # noqa: S310
        assert refused.value.code == 400
        assert refused.value.headers["X-Request-ID"]
    finally:
        stop([server])
        time.sleep(0.1)
    output = server.stderr.read() if server.stderr else ""
    # The refused Host is one line, not a traceback.
    assert "Invalid HTTP_HOST header" in output
    assert "Traceback" not in output
