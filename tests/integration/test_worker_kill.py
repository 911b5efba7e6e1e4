"""A Celery worker killed with SIGKILL while it sends leaves no email unsent and sends
none twice once a new worker has started: a few trials of tests/integration/worker_kill.py
against real PostgreSQL, a redis-server of our own and an SMTP sink. bench/worker_kill.py
runs many more."""

import random

import pytest
from django.conf import settings

from tests.conftest import require_service
from tests.integration.machinery import (
    RedisServer,
    SmtpServer,
    celery_env,
    daytime_zone,
    start_beat,
    start_worker,
    stop,
)
from tests.integration.worker_kill import LEASE_SECONDS, SWEEP_SECONDS, run_trial

TRIALS = 3
PEOPLE = 4


@pytest.fixture
def servers(transactional_db, tmp_path):
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    require_service(postgres, "PostgreSQL (the workers need the test database)")
    require_service(RedisServer.available(), "redis-server (a broker of the test's own)")
    broker = RedisServer()
    broker.start()
    smtp = SmtpServer(delay=0.4)
    smtp.start()
    env = celery_env(
        redis_url=broker.url,
        smtp_port=smtp.port,
        SWEEP_SECONDS=str(SWEEP_SECONDS),
        EMAIL_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    processes = [start_beat(env, tmp_path / "beat")]
    yield env, smtp, processes
    stop(processes)
    smtp.stop()
    broker.kill()


def test_a_worker_killed_mid_send_leaves_every_reminder_sent_exactly_once(servers):
    env, smtp, processes = servers
    zone = daytime_zone()
    rng = random.Random(8)

    def restart():
        worker = start_worker(env, "killable")
        processes.append(worker)
        return worker

    worker = restart()
    trials = []
    for _ in range(TRIALS):
        trial, worker = run_trial(smtp.inbox, worker, restart, people=PEOPLE, zone=zone, rng=rng)
        trials.append(trial)

    assert [(t.received, t.missing, t.duplicates) for t in trials] == [(PEOPLE, 0, 0)] * TRIALS
    # The kills did land mid-send, and the lease did its work.
    assert any(t.killed_mid_send for t in trials)
    assert sum(t.retaken for t in trials) >= 1
