"""The email half of `make bench`: how fast the reminder sweep finds due work, and how fast
one Celery worker renders digests and reminders and hands them to an SMTP server.

Against BENCH_DATABASE_URL (default: a local waymark_bench database), seeded by
seed_scale (scale-1, and mail-1 to mail-5: 1,000 members and 2,000 metrics each; built
once, kept for later runs; `make bench` has added 50 more scale organisations by then):

1. the reminder sweep's selection (reporting.reminders.reminder_batches) over the mail
   organisations' 10,000 metrics (the target: under a second), at a moment when every one
   of them is due: seconds and queries, in this process. The same selection as beat's
   sweep over every organisation, with their ids added to its query, so that the figure
   does not depend on how many other organisations the database holds;
2. one worker (`celery -A config worker`, one process, concurrency 1) on Redis
   (REDIS_URL, default db 15) sending to an SMTP server in this process that counts
   what it receives: the sweeps are triggered for one organisation and timed until the
   last message arrives. The weekly digest for scale-1 (200 members, its consenting
   stakeholders), its reminders, and the digest for mail-1's 1,000 members (the target:
   100 emails/s or more).

Each run works as of a moment chosen from the data (the sweeps' `at`), the first morning
of the week after the latest check-ins, and deletes the organisation's EmailDelivery
rows first, so a rerun sends the same emails. `main()` returns the rows it prints.
"""

import logging
import os
import socket
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/waymark_bench"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
ENV = os.environ | {
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SITE_URL": "https://waymark.example",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}
PYTHON = sys.executable
MAIL_ORGS, MAIL_SIZE, MAIL_WEEKS = 5, 5, 8
# A run is over when the queue is empty, nothing is being sent and no message has come
# for this long.
SETTLE_SECONDS = 2.0
RUN_TIMEOUT = 600


class Row(NamedTuple):
    label: str
    emails: int
    seconds: float
    per_second: float
    note: str = ""


def manage(*args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    )
    return result.stdout


def ensure_database() -> None:
    server, name = DATABASE_URL.rsplit("/", 1)
    query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    exists = subprocess.run(
        ["psql", f"{server}/postgres", "-tAc", query], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def seed() -> None:
    ensure_database()
    manage("migrate", "--noinput", "-v0")
    print(manage("seed_scale", "--orgs", "1").strip(), flush=True)
    print(
        manage(
            "seed_scale", "--prefix", "mail", "--orgs", str(MAIL_ORGS),
            "--size", str(MAIL_SIZE), "--weeks", str(MAIL_WEEKS),
        ).strip(),
        flush=True,
    )  # fmt: skip


class Sink:
    """An SMTP server's handler that counts what it accepts, and when the last came."""

    def __init__(self) -> None:
        self.count = 0
        self.size = 0
        self.last = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        self.size += len(envelope.content)
        self.last = time.monotonic()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_worker(smtp_port: int) -> subprocess.Popen[bytes]:
    env = ENV | {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port)}
    return subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
         "-n", "mailbench@%h", "-l", "warning", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,  # the banner; warnings go to stderr
    )  # fmt: skip


def wait_for_worker(app: Any, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit("The Celery worker exited on start")
        if app.control.ping(timeout=1.0):
            return
    raise SystemExit("The Celery worker did not answer a ping within 120 s")


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """CPU time the process has used: on a shared machine, wall-clock rates say as much
    about the neighbours as about the code."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def week_after(organisation: Any, day: date) -> datetime:
    """Noon on the first day of the organisation's week after `day`, in its time zone:
    everyone's digest is due (their hour is earlier), covering the week `day` is in."""
    ahead = (organisation.week_starts_on - day.weekday() - 1) % 7 + 1
    return datetime.combine(day + timedelta(days=ahead), datetime.min.time()).replace(
        hour=12, tzinfo=organisation.zone()
    )


def main() -> list[Row]:
    os.environ.update({key: ENV[key] for key in ("DATABASE_URL", "REDIS_URL", "DEBUG",
                                                  "SECRET_KEY", "SITE_URL")})  # fmt: skip
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    print("Seeding the email benchmark's organisations (first run takes a few minutes)...")
    seed()

    import django

    django.setup()
    import redis
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count, Max
    from django.test.utils import CaptureQueriesContext

    from config.celery import app
    from core.deliveries import DeliveryState
    from metrics.models import CheckIn, Metric
    from orgs.models import EmailDelivery, Membership, Organisation, Stakeholder
    from reporting.reminders import reminder_batches
    from reporting.tasks import sweep_digests, sweep_reminders

    scale, mail = (Organisation.objects.get(slug=slug) for slug in ("scale-1", "mail-1"))
    days = (
        CheckIn.objects.filter(metric__mission__organisation=scale)
        .values("created_at__date")
        .distinct()
        .count()
    )
    if days < 10:
        raise SystemExit(
            "scale-1 was seeded before seed_scale dated check-ins on the day they are for "
            "(all of them would be news in one week's digest). Drop and recreate the "
            f"benchmark database ({DATABASE_URL}) to seed it again."
        )

    def last_reading(organisation: Organisation) -> date:
        latest = Metric.objects.filter(mission__organisation=organisation).aggregate(
            Max("latest_on")
        )["latest_on__max"]
        assert latest is not None, f"{organisation.slug} has no check-ins"
        return latest

    def forget_sent(*organisations: Organisation) -> None:
        EmailDelivery.objects.filter(organisation__in=organisations).delete()

    rows: list[Row] = []

    # 1. The reminder sweep's selection, when every metric is due (a cadence after the
    # latest check-in, which seed_scale puts on the same day for every metric).
    due_day = max(last_reading(scale), last_reading(mail)) + timedelta(days=7)
    due_at = datetime.combine(due_day, datetime.min.time()).replace(hour=12, tzinfo=scale.zone())
    bench_orgs = Organisation.objects.filter(slug__regex=r"^(scale|mail)-\d+$")
    forget_sent(*bench_orgs)
    mail_orgs = list(
        Organisation.objects.filter(slug__regex=r"^mail-\d+$").values_list("pk", flat=True)
    )
    metrics = Metric.objects.filter(mission__organisation__in=mail_orgs).count()
    timings, cpu = [], []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            batches = reminder_batches(due_at, mail_orgs)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
    selected = sum(len(batch) for batch in batches.values())
    seconds = median(timings)
    rows.append(
        Row(
            f"Reminder sweep selection, {metrics:,} metrics",
            len(batches),
            seconds,
            len(batches) / seconds,
            f"{selected:,} reminders due, in {len(queries.captured_queries)} queries and "
            f"{median(cpu):.2f} CPU-s; selected, not sent; the {len(mail_orgs)} mail "
            f"organisations, of {Metric.objects.count():,} metrics in the database",
        )
    )
    print(f"{rows[-1].label}: {seconds:.2f} s ({rows[-1].note})", flush=True)

    # 2. One worker, one SMTP server.
    sink = Sink()
    smtp_port = free_port()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)  # the queue, beside the cache
    broker.delete("celery", "unacked", "unacked_index", "unacked_mutex")
    worker = start_worker(smtp_port)
    try:
        wait_for_worker(app, worker)

        def timed(label: str, organisation: Organisation, task: Any, at: datetime) -> Row:
            forget_sent(organisation)
            before, cpu_before = sink.count, cpu_seconds(worker)
            started = time.monotonic()
            task.delay(at=at.isoformat(), organisation_id=organisation.pk)
            deadline = started + RUN_TIMEOUT
            while time.monotonic() < deadline:
                time.sleep(0.2)
                busy = broker.llen("celery") or broker.hlen("unacked")
                sending = EmailDelivery.objects.filter(
                    organisation=organisation, state=DeliveryState.SENDING
                ).exists()
                quiet = time.monotonic() - max(sink.last, started) > SETTLE_SECONDS
                if not busy and not sending and quiet:
                    break
                if worker.poll() is not None:
                    raise SystemExit("The Celery worker died")
            else:
                raise SystemExit(f"{label}: not done after {RUN_TIMEOUT} s")
            emails = sink.count - before
            seconds = sink.last - started if emails else 0.0
            states = dict(
                EmailDelivery.objects.filter(organisation=organisation)
                .values_list("state")
                .annotate(n=Count("pk"))
                .values_list("state", "n")
            )
            cpu = cpu_seconds(worker) - cpu_before
            note = ", ".join(f"{n:,} {state}" for state, n in sorted(states.items()))
            note += f"; worker CPU {cpu:.1f} s, {emails / cpu if cpu else 0:.0f} emails/CPU-s"
            row = Row(label, emails, seconds, emails / seconds if emails else 0.0, note)
            print(
                f"{label}: {emails:,} emails in {seconds:.2f} s, {row.per_second:.0f}/s ({note})",
                flush=True,
            )
            return row

        digest_at = week_after(scale, last_reading(scale))
        # Untimed: a new worker's first tasks load templates, URLs and connections.
        timed("Warm-up", scale, sweep_digests, digest_at)
        members = Membership.objects.filter(organisation=scale).count()
        consenting = Stakeholder.objects.filter(organisation=scale, consent_to_email=True).count()
        rows.append(
            timed(
                f"Weekly digest, {scale.slug}: {members} members, {consenting} stakeholders",
                scale,
                sweep_digests,
                digest_at,
            )
        )
        rows.append(timed(f"Reminders, {scale.slug}", scale, sweep_reminders, due_at))
        members = Membership.objects.filter(organisation=mail).count()
        consenting = Stakeholder.objects.filter(organisation=mail, consent_to_email=True).count()
        rows.append(
            timed(
                f"Weekly digest, {mail.slug}: {members:,} members, {consenting} stakeholders",
                mail,
                sweep_digests,
                week_after(mail, last_reading(mail)),
            )
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()
    print("\n" + "\n".join(table(rows)))
    return rows


def table(rows: list[Row]) -> list[str]:
    return [
        "| email benchmark | emails | seconds | emails/s | notes |",
        "|---|---:|---:|---:|---|",
        *(
            f"| {row.label} | {row.emails:,} | {row.seconds:.2f} | {row.per_second:,.0f} | "
            f"{row.note} |"
            for row in rows
        ),
    ]


if __name__ == "__main__":
    main()
