"""A Celery worker killed with SIGKILL while it sends leaves no email unsent once a new
worker has started: a few trials of tests/integration/worker_kill.py against real
PostgreSQL, a redis-server of our own and an SMTP sink. bench/worker_kill.py runs many more.

SMTP cannot promise "never twice": if the worker dies after the server has taken the
message but before it hears the server's 250 (the sink here waits 0.4 s before replying,
so kills often land there), the message is sent again. What the code does promise, and
this checks, is that nothing is lost and that a copy sent again is the same message, with
the same Message-ID, which mail systems that drop duplicates show once. The duplicate
counts are reported by bench/worker_kill.py."""

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


def test_a_worker_killed_mid_send_loses_no_reminder_and_resends_the_same_message(servers):
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

    assert [t.missing for t in trials] == [0] * TRIALS
    assert all(t.same_message_id for t in trials)
    assert all(t.received - t.duplicates == PEOPLE for t in trials)
    # The kills did land mid-send, and the lease did its work.
    assert any(t.killed_mid_send for t in trials)
    assert sum(t.retaken for t in trials) >= 1
