"""A real worker and a real beat stamp their heartbeats in Redis (what /readyz and their
healthchecks read), and a request's id travels in the task's headers to the worker: on
its log lines and on the email it sends to a real SMTP server."""

import json
import subprocess
import sys
import uuid

import pytest
import redis
from django.urls import reverse

from config.celery import app as celery_app
from core import heartbeats
from tests.conftest import require_service
from tests.integration.machinery import (
    CELERY,
    ROOT,
    SmtpServer,
    celery_env,
    start_beat,
    stop,
    wait_for,
)


@pytest.fixture
def services(transactional_db, shared_broker, settings):
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    require_service(postgres, "PostgreSQL (the worker needs the test database)")
    settings.HEARTBEAT_PREFIX = f"test-heartbeat-{uuid.uuid4()}"
    smtp = SmtpServer()
    smtp.start()
    env = celery_env(
        redis_url=shared_broker,
        smtp_port=smtp.port,
        HEARTBEAT_PREFIX=settings.HEARTBEAT_PREFIX,
        LOG_FORMAT="json",
        SITE_URL="https://waymark.example",
    )
    yield env, smtp
    smtp.stop()
    connection = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(connection.scan_iter(f"{settings.HEARTBEAT_PREFIX}:*"))
    if keys:
        connection.delete(*keys)


def start_worker(env, log_path):
    log = log_path.open("w")
    return subprocess.Popen(  # noqa: S603 (our own command)
        [
            *CELERY,
            "worker",
            "--pool=solo",
            "-n",
            f"signals-{uuid.uuid4().hex[:6]}@%h",
            "-l",
            "info",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def heartbeat_command(env, process: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "manage.py", "heartbeat", process],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_worker_and_beat_stamp_their_heartbeats(services, client, tmp_path):
    env, _ = services
    assert heartbeat_command(env, "worker").returncode == 1  # nothing yet
    worker = start_worker(env, tmp_path / "worker.log")
    beat = start_beat(env, tmp_path / "beat-schedule")
    try:
        assert wait_for(lambda: heartbeats.age(heartbeats.worker_name()) is not None, 90), (
            tmp_path / "worker.log"
        ).read_text()
        assert wait_for(lambda: heartbeats.age(heartbeats.BEAT) is not None, 60)

        worker_check = heartbeat_command(env, "worker")
        assert worker_check.returncode == 0, worker_check.stderr
        beat_check = heartbeat_command(env, "beat")
        assert beat_check.returncode == 0, beat_check.stderr
        checks = client.get("/readyz").json()["checks"]
        assert checks["worker"] == "ok"
        assert checks["beat"] == "ok"
    finally:
        stop([worker, beat])


def test_the_request_id_reaches_the_workers_log_and_the_email(services, cast, client, tmp_path):
    env, smtp = services
    log_path = tmp_path / "worker.log"
    worker = start_worker(env, log_path)
    celery_app.conf.task_always_eager = False
    try:
        client.force_login(cast.admin)
        response = client.post(
            reverse("orgs:member_invite", args=["acme"]),
            {"email": "welcome@example.com", "role": "member"},
            HTTP_X_REQUEST_ID="invite-req-12345678",
        )
        assert response["X-Request-ID"] == "invite-req-12345678"

        assert wait_for(lambda: smtp.inbox.messages, 90), log_path.read_text()
        [email] = smtp.inbox.messages
        assert email["X-Request-ID"] == "invite-req-12345678"

        def task_line():
            for line in log_path.read_text().splitlines():
                if line.startswith("{") and '"waymark.tasks"' in line:
                    return json.loads(line)
            return None

        assert wait_for(task_line, 30), log_path.read_text()
        line = task_line()
        assert line["task"] == "orgs.tasks.send_invitation_email"
        assert line["request_id"] == "invite-req-12345678"
        assert line["state"] == "SUCCESS"
        assert set(line) >= {"time", "level", "logger", "message", "task_id", "duration_ms"}
    finally:
        stop([worker])
