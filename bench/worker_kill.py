"""Kill a Celery worker with SIGKILL mid-send, many times, and count the emails.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/waymark_faults_bench \\
        .venv/bin/python bench/worker_kill.py --trials 100 --people 5

Each trial (tests/integration/worker_kill.py) gives N people one due reminder each, lets
beat and a worker send them to an SMTP sink that takes --delay seconds per message,
SIGKILLs the worker at a random moment after the first send begins, starts a new one, and
waits until every reminder is recorded sent. It then counts what the sink accepted for
each person: exactly one is right; a missing one or a second one is a failure.

Runs against its own redis-server (a free port, nothing saved) and the database in
DATABASE_URL (created and migrated if needed; trial rows are deleted after each trial).
Prints one line per trial and the totals; exits 1 if any email was missing or sent twice.

A duplicate can only come from one instant: the sink has accepted the message but the
worker dies before its "sent" is committed (a millisecond or two; see
core.deliveries._send_then_record_sent). Such a copy carries the same Message-ID as the first.
"""

import argparse
import logging
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/waymark_faults_bench")
os.environ["DEBUG"] = "1"
os.environ.pop("REDIS_URL", None)  # this process never talks to Redis; the workers do


def create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


class StoppedEarly(Exception):
    pass


def stop_early(signum: int, frame: object) -> None:
    raise StoppedEarly


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--people", type=int, default=5, help="emails per trial")
    parser.add_argument("--delay", type=float, default=0.3, help="seconds the sink takes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    # Stopped early (Ctrl-C, kill): stop the worker, beat and redis-server, print totals.
    signal.signal(signal.SIGTERM, stop_early)
    signal.signal(signal.SIGINT, stop_early)
    create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The trial's people are made with a password; hashing it properly takes seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's every command

    call_command("migrate", verbosity=0)

    from tests.integration.machinery import (
        RedisServer,
        SmtpServer,
        celery_env,
        daytime_zone,
        start_beat,
        start_worker,
        stop,
    )
    from tests.integration.worker_kill import (
        LEASE_SECONDS,
        SWEEP_SECONDS,
        run_trial,
        trial_cleanup,
    )

    trial_cleanup()
    broker = RedisServer()
    broker.start()
    smtp = SmtpServer(delay=args.delay)
    smtp.start()
    env = celery_env(
        redis_url=broker.url,
        smtp_port=smtp.port,
        SWEEP_SECONDS=str(SWEEP_SECONDS),
        EMAIL_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    processes = []
    rng = random.Random(args.seed)  # noqa: S311 (when to kill, not a secret)
    zone = daytime_zone()
    totals = {"expected": 0, "received": 0, "duplicates": 0, "missing": 0}
    mid_send = retaken = 0
    began = time.monotonic()
    done = 0
    scratch = tempfile.mkdtemp()
    try:
        if True:
            processes.append(start_beat(env, Path(scratch) / "beat"))

            def restart():
                worker = start_worker(env, "killable")
                processes.append(worker)
                return worker

            worker = restart()
            for number in range(1, args.trials + 1):
                done = number
                trial, worker = run_trial(
                    smtp.inbox, worker, restart, people=args.people, zone=zone, rng=rng
                )
                trial_cleanup()
                for key in totals:
                    totals[key] += getattr(trial, key)
                mid_send += trial.killed_mid_send
                retaken += trial.retaken
                print(
                    f"trial {number:3}: expected {trial.expected} received {trial.received} "
                    f"duplicates {trial.duplicates} missing {trial.missing} "
                    f"killed mid-send {'yes' if trial.killed_mid_send else 'no '} "
                    f"re-sent after lease {trial.retaken} "
                    f"{'' if trial.same_message_id else 'DIFFERENT MESSAGE-ID '}"
                    f"({trial.seconds:.1f} s)",
                    flush=True,
                )
    except StoppedEarly:
        print(f"Stopped early, during trial {done}")
        args.trials = done - 1
    finally:
        stop(processes)
        smtp.stop()
        broker.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"\n{args.trials} trials, {args.people} emails each, sink delay {args.delay} s, "
        f"lease {LEASE_SECONDS} s, {time.monotonic() - began:.0f} s in all\n"
        f"expected {totals['expected']}, received {totals['received']}, "
        f"duplicates {totals['duplicates']}, missing {totals['missing']}; "
        f"killed mid-send in {mid_send} trials, {retaken} claims re-sent after their lease"
    )
    return 1 if totals["duplicates"] or totals["missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
