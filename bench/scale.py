"""`make scale`: three web hosts, two Celery workers and a beat (and a second beat, as if
started by mistake), each a machine of its own (a network namespace with its own address),
behind HAProxy, on one PostgreSQL and Redis;
and what must hold when Waymark runs like that, shown and written into bench/RESULTS.md:

1. a person signed in through one web host is signed in on every host;
2. an edit made through one host shows on a page another serves on the very next request,
   cached pages included;
3. a week of reminders and digests goes out exactly once with two workers and two beats
   (the second started by mistake): the same emails a single process sends for the same
   week on a copy of the database, none twice;
4. killing a web host under a load of check-ins loses no check-in the app acknowledged,
   and the load balancer routes around it; a rolling restart of every web host under the
   same load fails no request (HAProxy drains a host, granian stops gracefully);
5. requests per second through the load balancer with one, two and three web hosts, and
   the CPU each request costs the web hosts, PostgreSQL and (at most) Redis.

Needs root (network namespaces), haproxy and wrk. Everything it makes (namespaces, the
bridge, processes, the waymark_scale databases, Redis database SCALE_REDIS_DB) is removed at
the end, on failure too. Environment: SCALE_WEB_WORKERS (granian workers per web host,
default 1: each host stands for a one-core machine), SCALE_HEALTH_PATH (the load
balancer's health check, default /healthz), SCALE_SECONDS (each load, default 10),
SCALE_REDIS_DB (default 5; the queue uses the next), SCALE_SMTP_PORT (default 2525).
"""

import io
import json
import logging
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, for Django
sys.path.insert(0, str(Path(__file__).resolve().parent))
import hosts
import week
from visitor import HOST, Visitor, page_form

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = str(Path(PYTHON).parent)
DATABASE = "waymark_scale"
EXPECTED_DATABASE = "waymark_scale_expect"
REDIS_DB = int(os.environ.get("SCALE_REDIS_DB", "5"))  # the cache; the queue is the next one
QUEUE_DB = REDIS_DB + 1
SMTP_PORT = int(os.environ.get("SCALE_SMTP_PORT", "2525"))
WEB_PORT = 8080  # inside each web host's own namespace
WEB_WORKERS = int(os.environ.get("SCALE_WEB_WORKERS", "1"))
# The load balancer's health check: /healthz says the process answers. Not /readyz: its
# worker and beat checks would take every web host out when the workers lag.
HEALTH_PATH = os.environ.get("SCALE_HEALTH_PATH", "/healthz")
SECONDS = int(os.environ.get("SCALE_SECONDS", "10"))
LOAD_THREADS = 4
SWEEP_SECONDS = 5  # the real beats' interval while the week is replayed
WEB, WORKERS, BEATS = ("web1", "web2", "web3"), ("worker1", "worker2"), ("beat1", "beat2")
OWNER, PASSWORD = "bench-owner@scale-1.example", "bench-password"
COMMAND = "make scale"

# What the hosts run with: the database and Redis through the forwarder on the bridge.
APP_ENV = os.environ | {
    "DATABASE_URL": f"postgres://postgres@{hosts.GATEWAY}:5432/{DATABASE}",
    "REDIS_URL": f"redis://{hosts.GATEWAY}:6379/{REDIS_DB}",
    "CELERY_BROKER_URL": f"redis://{hosts.GATEWAY}:6379/{QUEUE_DB}",
    "DEBUG": "0",
    "SECRET_KEY": "scale-only-not-secret-" + "x" * 40,
    "ALLOWED_HOSTS": HOST,
    "SITE_URL": f"https://{HOST}",
    "EMAIL_HOST": hosts.GATEWAY,
    "EMAIL_PORT": str(SMTP_PORT),
    "PATH": f"{BIN}:{os.environ['PATH']}",
    "PYTHONUNBUFFERED": "1",
}
# What this process (in the root namespace) uses: the same servers on 127.0.0.1.
LOCAL_ENV = APP_ENV | {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{QUEUE_DB}",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


@dataclass
class Finding:
    title: str
    held: bool
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)
        print(f"  {line}", flush=True)


def psql(database: str, query: str) -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", query],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def drop_databases() -> None:
    for name in (DATABASE, EXPECTED_DATABASE):
        subprocess.run(
            ["dropdb", "--if-exists", "--force", "-h", "127.0.0.1", "-U", "postgres", name],
            check=True, capture_output=True,
        )  # fmt: skip


def process_tree(pids: list[int]) -> list[int]:
    """The processes and their descendants, as far as they are alive."""
    found: list[int] = []
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append(pid)
    return found


def cpu_of(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """CPU time the processes (and their living children) have used."""
    return sum(cpu_of(pid) or 0.0 for pid in process_tree(pids))


class CpuMeter:
    """CPU used by a changing set of processes while inside, read every quarter second: a
    PostgreSQL backend may end (and take its count with it) or start in the meantime, so
    each is counted from when it was first seen (or from nothing, if it started since) to
    when it was last seen."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids = pids
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.running = False
        self.thread = threading.Thread(target=self.loop)

    def sample(self, starting: bool = False) -> None:
        for pid in self.pids():
            used = cpu_of(pid)
            if used is not None:
                self.first.setdefault(pid, used if starting else 0.0)
                self.last[pid] = used

    def loop(self) -> None:
        while self.running:
            time.sleep(0.25)
            self.sample()

    def __enter__(self) -> "CpuMeter":
        self.sample(starting=True)
        self.running = True
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()
        self.sample()

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def redis_cpu() -> float:
    """The Redis server's CPU-seconds so far (all of it: other databases' users too)."""
    import redis

    info = redis.Redis.from_url(LOCAL_ENV["REDIS_URL"]).info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def cache_size() -> tuple[int, int]:
    """Keys and bytes the app's cache holds in our Redis database (page parts, sessions)."""
    import redis

    server = redis.Redis.from_url(LOCAL_ENV["REDIS_URL"])
    keys = list(server.scan_iter(match="waymark:*", count=1000))
    return len(keys), sum(server.memory_usage(key) or 0 for key in keys)


def row_sizes() -> dict[str, tuple[int, int]]:
    """Rows and bytes (indexes included) of the tables that grow every week."""
    sizes = {}
    for table in ("metrics_checkin", "orgs_emaildelivery", "audit_change"):
        found = psql(DATABASE, f"SELECT to_regclass('{table}') IS NOT NULL")
        if found != "t":
            continue
        rows = int(psql(DATABASE, f"SELECT count(*) FROM {table}"))
        size = int(psql(DATABASE, f"SELECT pg_total_relation_size('{table}')"))
        sizes[table] = (rows, size)
    return sizes


def postgres_pids(database: str) -> list[int]:
    rows = psql("postgres", f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}'")
    return [int(pid) for pid in rows.split()]


class Sink:
    """An SMTP server's handler that keeps every message's Message-ID."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.last = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.ids.append(str(message_from_bytes(envelope.content)["Message-ID"]))
        self.last = time.monotonic()
        return "250 OK"


class Cluster:
    """The hosts, what runs on them, and the load balancer in front of the web hosts."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.hosts = hosts.network_up([*WEB, *WORKERS, *BEATS])
        self.forwarder = hosts.haproxy_forwarder(directory)
        self.lb: hosts.LoadBalancer | None = None

    def start_web(self, name: str) -> None:
        host = self.hosts[name]
        host.start(
            ["granian", "--interface", "wsgi", "--host", host.address, "--port", str(WEB_PORT),
             "--workers", str(WEB_WORKERS), "--blocking-threads", "1", "config.wsgi:application"],
            APP_ENV, self.directory / f"{name}.log", ROOT,
        )  # fmt: skip

    def wait_web(self, name: str, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        visitor = Visitor(self.hosts[name].address, WEB_PORT, timeout=2)
        while time.monotonic() < deadline:
            try:
                if visitor.get(HEALTH_PATH).status == 200:
                    return
            except OSError:
                pass
            finally:
                visitor.close()
            if not self.hosts[name].processes or self.hosts[name].processes[0].poll() is not None:
                raise SystemExit(f"{name} exited at start; see {self.directory / name}.log")
            time.sleep(0.3)
        raise SystemExit(f"{name} did not answer {HEALTH_PATH} within {seconds:.0f} s")

    def start_load_balancer(self, port: int) -> hosts.LoadBalancer:
        servers = {name: self.hosts[name].address for name in WEB}
        self.lb = hosts.LoadBalancer(self.directory, port, servers, HOST, HEALTH_PATH, WEB_PORT)
        for name in WEB:
            self.lb.wait_for(name, "UP")
        return self.lb

    def start_celery(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.hosts[name].start(
            [PYTHON, "-m", "celery", "-A", "config", *args, "-l", "warning"],
            env or APP_ENV, self.directory / f"{name}.log", ROOT,
        )  # fmt: skip

    def web_processes(self, names: tuple[str, ...] = WEB) -> list[int]:
        """The web hosts' granian processes: each host's main one and its workers."""
        return process_tree([p.pid for name in names for p in self.hosts[name].processes])

    def stop(self) -> None:
        for host in self.hosts.values():
            host.stop()
        for process in (self.lb.process if self.lb else None, self.forwarder):
            if process is not None:
                hosts.signal_group(process, signal.SIGTERM)
                process.wait(timeout=10)


# 1. Sessions -----------------------------------------------------------------------------


def signed_in_everywhere(cluster: Cluster) -> Finding:
    finding = Finding("A person signed in through one host is signed in on every host", True)
    first = cluster.hosts["web1"]
    person = Visitor(first.address, WEB_PORT, https=True)
    person.sign_in(OWNER, PASSWORD)
    finding.say(f"signed in as {OWNER} through web1 ({first.address}), with the login form")
    for name in WEB:
        answer = person.at(cluster.hosts[name].address, WEB_PORT).get("/accounts/profile/")
        shown = answer.status == 200 and "Person 0" in answer.body
        finding.held &= shown
        finding.say(
            f"{name}: /accounts/profile/ answered {answer.status}"
            + (", showing their name" if shown else ", NOT signed in")
        )
    stranger = Visitor(cluster.hosts["web2"].address, WEB_PORT, https=True)
    answer = stranger.get("/accounts/profile/")
    finding.held &= answer.status == 302
    finding.say(f"without the cookie, web2 answered {answer.status} (to the login page)")
    return finding


# 2. Edits --------------------------------------------------------------------------------


def edits_seen_everywhere(cluster: Cluster, targets: dict[str, Any]) -> Finding:
    finding = Finding("An edit through one host shows on the next request to another", True)
    address = {name: cluster.hosts[name].address for name in WEB}
    owner = Visitor(address["web1"], WEB_PORT, https=True)
    owner.sign_in(OWNER, PASSWORD)
    share_path = targets["pages"]["Share page"][0]
    mission_path = targets["pages"]["Mission page"][0]
    dashboard_path = targets["pages"]["Dashboard"][0]
    stranger = Visitor(address["web2"], WEB_PORT, https=True)

    form = page_form(owner.get(mission_path + "edit/").body, "title")
    old_title = form["title"]
    new_title = f"{old_title} renamed {int(time.time())}"
    # Every page read once before the edit, on other hosts: their parts are in the cache.
    before = [
        ("web2", "the share page, signed out", stranger.get(share_path)),
        ("web3", "the dashboard", owner.at(address["web3"], WEB_PORT).get(dashboard_path)),
        ("web2", "the mission page", owner.at(address["web2"], WEB_PORT).get(mission_path)),
    ]
    for name, what, answer in before:
        finding.held &= answer.status == 200 and old_title in answer.body
        finding.say(f"before: {name} served {what} ({answer.status}) with '{old_title}'")

    answer = owner.post(mission_path + "edit/", form | {"title": new_title})
    edited = time.monotonic()
    finding.held &= answer.status == 302
    finding.say(f"web1: the mission renamed '{new_title}' ({answer.status})")
    after = [
        ("web2", "the share page, signed out", stranger.get(share_path)),
        ("web3", "the dashboard", owner.at(address["web3"], WEB_PORT).get(dashboard_path)),
        ("web2", "the mission page", owner.at(address["web2"], WEB_PORT).get(mission_path)),
    ]
    for name, what, answer in after:
        shown = answer.status == 200 and new_title in answer.body
        finding.held &= shown
        finding.say(
            f"next request: {name} served {what} ({answer.status}) "
            + ("with the new title" if shown else "WITHOUT the new title")
        )
    finding.say(f"all three read within {(time.monotonic() - edited) * 1000:.0f} ms of the edit")
    return finding


# 3. Emails -------------------------------------------------------------------------------


def week_of_emails(cluster: Cluster, start: datetime, expected: subprocess.Popen[str]) -> Finding:
    """Two workers and two beats on their own hosts; the week's sweeps sent twice each, as
    two beats would send them; the real beats sweeping now all the while."""
    import redis
    from aiosmtpd.controller import Controller
    from django.db.models import Count

    from config.celery import app
    from core.deliveries import DeliveryState
    from orgs.models import EmailDelivery
    from reporting.tasks import sweep_digests, sweep_reminders

    finding = Finding("A week of reminders and digests goes out exactly once", True)
    sink = Sink()
    smtp = Controller(sink, hostname=hosts.GATEWAY, port=SMTP_PORT)
    smtp.start()
    broker = redis.Redis.from_url(LOCAL_ENV["REDIS_URL"])
    try:
        for name in WORKERS:
            cluster.start_celery(name, "worker", "--pool=solo", "-n", f"{name}@scale",
                                 "--without-gossip", "--without-mingle")  # fmt: skip
        beat_env = APP_ENV | {"SWEEP_SECONDS": str(SWEEP_SECONDS)}
        for name in BEATS:
            cluster.start_celery(
                name, "beat", "-s", str(cluster.directory / f"{name}-schedule"), env=beat_env
            )
        deadline = time.monotonic() + 120
        while len(app.control.ping(timeout=1.0)) < len(WORKERS):
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not answer a ping within 120 s")
        workers_cpu = cpu_seconds([p.pid for n in WORKERS for p in cluster.hosts[n].processes])
        started = time.monotonic()
        sweeps = 0
        days = week.moments(start)
        moments = sum(len(day) for day in days)
        for day in days:
            for at in day:
                for _beat in BEATS:
                    for task in (sweep_reminders, sweep_digests):
                        task.apply_async(kwargs={"at": at.isoformat()})
                        sweeps += 1
            drained(broker, sink)
        # The real beats go on a little longer: their sweeps of now find nothing left.
        time.sleep(2 * SWEEP_SECONDS)
        drained(broker, sink)
        seconds = sink.last - started
        workers_cpu = (
            cpu_seconds([p.pid for n in WORKERS for p in cluster.hosts[n].processes]) - workers_cpu
        )
        for name in (*BEATS, *WORKERS):
            cluster.hosts[name].stop()
    finally:
        smtp.stop()

    out, err = expected.communicate(timeout=600)
    if expected.returncode:
        raise SystemExit(f"the single-process replay failed:\n{err[-2000:]}")
    wanted = json.loads(out)
    received = Counter(sink.ids)
    twice = [mid for mid, n in received.items() if n > 1]
    missing = set(wanted["message_ids"]) - set(received)
    extra = set(received) - set(wanted["message_ids"])
    kinds = dict(
        EmailDelivery.objects.filter(state=DeliveryState.SENT)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    finding.held = not twice and not missing and not extra and kinds == wanted["kinds"]
    finding.say(
        f"{sweeps} sweeps ({moments} moments, every {week.STEP.seconds // 3600} hours of a "
        f"week from {start:%a %d %b %H:%M} UTC, reminders and digests, each sent twice as by "
        f"two beats) plus the two real beats sweeping now every {SWEEP_SECONDS} s; "
        f"2 workers"
    )
    finding.say(
        f"the SMTP sink received {len(sink.ids)} emails, {len(received)} different; "
        f"one process sending the same week on a copy of the database sent "
        f"{len(wanted['message_ids'])}"
    )
    finding.say(f"sent twice: {len(twice)}; missing: {len(missing)}; not expected: {len(extra)}")
    said = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    finding.say(
        f"claims recorded sent: {said}; one process: "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(wanted["kinds"].items()))
        + " (a reminder email carries every reminder due to its recipient)"
    )
    finding.say(
        f"{seconds:.1f} s from the first sweep to the last email; the two workers used "
        f"{workers_cpu:.1f} CPU-s, {workers_cpu / max(len(sink.ids), 1) * 1000:.0f} ms "
        f"per email (sweeps included)"
    )
    return finding


def drained(broker: Any, sink: Sink, quiet: float = 1.5, seconds: float = 300) -> None:
    """Wait until no task is queued or running and no email has come for `quiet` s."""
    from core.deliveries import DeliveryState
    from orgs.models import EmailDelivery

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)
        busy = broker.llen("celery") or broker.hlen("unacked")
        sending = EmailDelivery.objects.filter(state=DeliveryState.SENDING).exists()
        if not busy and not sending and time.monotonic() - sink.last > quiet:
            return
    raise SystemExit(f"the workers had not finished after {seconds:.0f} s")


# 4. Check-ins under load -----------------------------------------------------------------


class CheckinLoad:
    """Threads posting check-ins through the load balancer as fast as answers come; each
    check-in's note is unique, so what the app acknowledged can be looked for afterwards."""

    def __init__(self, port: int, label: str, metrics: list[tuple[str, str]]) -> None:
        self.port, self.label, self.metrics = port, label, metrics
        self.results: list[tuple[float, str, str]] = []  # (time, outcome, note)
        self.lock = threading.Lock()
        self.running = False
        self.threads = [threading.Thread(target=self.loop, args=(n,)) for n in range(LOAD_THREADS)]

    def __enter__(self) -> "CheckinLoad":
        self.person = Visitor("127.0.0.1", self.port)
        self.person.sign_in(OWNER, PASSWORD)
        path, _ = self.metrics[0]
        self.form = page_form(self.person.get(path).body, "value")
        self.running = True
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(timeout=60)

    def loop(self, n: int) -> None:
        visitor = self.person.at("127.0.0.1", self.port)
        count = 0
        while self.running:
            path, value = self.metrics[(n * 7919 + count) % len(self.metrics)]
            note = f"{self.label}-{n}-{count}"
            count += 1
            try:
                answer = visitor.post(path, self.form | {"value": value, "note": note})
                outcome = "ok" if answer.ok else str(answer.status)
            except OSError as error:  # refused, reset, timed out...
                outcome = type(error).__name__
            except Exception as error:  # http.client's own (RemoteDisconnected is an OSError)
                outcome = type(error).__name__
            with self.lock:
                self.results.append((time.monotonic(), outcome, note))

    def acknowledged(self) -> list[str]:
        return [note for _, outcome, note in self.results if outcome == "ok"]

    def saved(self) -> int:
        from metrics.models import CheckIn

        return CheckIn.objects.filter(note__startswith=f"{self.label}-").count()

    def lost(self) -> int:
        """Acknowledged check-ins that are not in the database."""
        from metrics.models import CheckIn

        acked = set(self.acknowledged())
        stored = set(CheckIn.objects.filter(note__in=acked).values_list("note", flat=True))
        return len(acked - stored)


def checkin_targets() -> list[tuple[str, str]]:
    """Each of the scale organisation's metrics with readings: its check-in address and its
    latest value (a value it accepts)."""
    from metrics.models import Metric

    metrics = Metric.objects.filter(
        mission__organisation__slug="scale-1", latest_value__isnull=False
    ).select_related("mission")
    return [
        (f"/o/scale-1/missions/{m.mission.slug}/metrics/{m.uid}/check-in/", f"{m.latest_value:f}")
        for m in metrics
    ]


def kill_under_load(
    cluster: Cluster, lb: hosts.LoadBalancer, metrics: list[tuple[str, str]]
) -> Finding:
    finding = Finding("Killing a web host under load loses no check-in; the load balancer "
                      "routes around it", True)  # fmt: skip
    victim = "web2"
    label = f"kill{int(time.time())}"
    with CheckinLoad(lb.port, label, metrics) as load:
        time.sleep(SECONDS / 2)
        killed = time.monotonic()
        cluster.hosts[victim].stop(signal.SIGKILL)
        noticed = lb.wait_for(victim, "DOWN", seconds=30)
        time.sleep(SECONDS)
    outcomes = Counter(outcome for _, outcome, _ in load.results)
    errors = [(t - killed, o) for t, o, _ in load.results if o != "ok"]
    after = [t for t, _ in errors if t > noticed + 1]
    lost = load.lost()
    finding.held = lost == 0 and not after and outcomes["ok"] > 0
    finding.say(
        f"{LOAD_THREADS} threads posting check-ins through HAProxy for {SECONDS * 1.5:.0f} s; "
        f"web2 killed (SIGKILL, every process) half-way"
    )
    finding.say("answers: " + ", ".join(f"{k}: {n}" for k, n in outcomes.most_common()))
    finding.say(f"HAProxy marked web2 DOWN {noticed:.2f} s after the kill")
    if errors:
        finding.say(
            "a request in flight on the killed host is cut off (HAProxy closes the client's "
            "connection, or answers 502): never acknowledged, so nobody was told it was saved"
        )
        finding.say(
            f"failed requests from {errors[0][0]:+.2f} s to {errors[-1][0]:+.2f} s after the "
            f"kill; {len(after)} later than a second after HAProxy noticed"
        )
    finding.say(
        f"acknowledged: {len(load.acknowledged())}, of which not in the database: {lost}; "
        f"in the database in all: {load.saved()} (a request cut off may still have saved)"
    )
    cluster.start_web(victim)
    cluster.wait_web(victim)
    lb.wait_for(victim, "UP")
    return finding


def rolling_restart(
    cluster: Cluster, lb: hosts.LoadBalancer, metrics: list[tuple[str, str]]
) -> Finding:
    finding = Finding("A rolling restart of every web host under load fails no request", True)
    label = f"roll{int(time.time())}"
    steps = []
    in_flight = 0
    with CheckinLoad(lb.port, label, metrics) as load:
        time.sleep(2)
        for name in WEB:
            began = time.monotonic()
            lb.set_state(name, "drain")  # no new requests; those in flight go on
            lb.set_state(name, "maint")
            # Stopped with its requests in flight, if any: granian finishes them first.
            in_flight += int(lb.stats()[name]["scur"])
            cluster.hosts[name].stop(signal.SIGTERM)
            cluster.start_web(name)
            cluster.wait_web(name)
            lb.set_state(name, "ready")
            lb.wait_for(name, "UP")
            steps.append(f"{name} {time.monotonic() - began:.1f} s")
        time.sleep(2)
    outcomes = Counter(outcome for _, outcome, _ in load.results)
    lost = load.lost()
    finding.held = set(outcomes) == {"ok"} and lost == 0
    finding.say(
        "each host in turn: drained and put in maintenance in HAProxy (no new requests), "
        "stopped with SIGTERM at once, started, health-checked, back in: " + ", ".join(steps)
    )
    finding.say(
        f"requests in flight on a host when it was told to stop: {in_flight} in all "
        "(granian finishes what it has before it exits: one it dropped would be a failed "
        "answer above)"
    )
    finding.say("answers: " + ", ".join(f"{k}: {n}" for k, n in outcomes.most_common()))
    finding.say(f"acknowledged: {len(load.acknowledged())}, not in the database: {lost}")
    return finding


# 5. Throughput ---------------------------------------------------------------------------


def wrk(url: str, cookie: str, seconds: int) -> tuple[float, int, float, float, int]:
    """requests/s, requests, p50 ms, p99 ms, non-2xx/3xx answers."""
    output = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", f"Host: {HOST}",
         "-H", f"Cookie: sessionid={cookie}", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def number(pattern: str) -> str:
        return re.search(pattern, output).group(1)  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (
        float(number(r"Requests/sec:\s+([\d.]+)")),
        int(number(r"(\d+) requests in")),
        percentile("50"),
        percentile("99"),
        int(bad.group(1)) if bad else 0,
    )


@dataclass
class Throughput:
    hosts: int
    rps: float
    p50: float
    p99: float
    errors: int
    web_ms: float  # web hosts' CPU per request
    web_cores: float  # the web hosts' CPU-seconds per second: the cores they got
    postgres_ms: float  # PostgreSQL's CPU (this database's backends) per request
    redis_ms: float  # the whole Redis server's CPU per request: others use it too


def throughput(
    cluster: Cluster, lb: hosts.LoadBalancer, targets: dict[str, Any]
) -> list[Throughput]:
    path = targets["pages"]["Dashboard"][0]
    cookie = targets["sessions"]["owner"]
    url = f"http://127.0.0.1:{lb.port}{path}"
    rows = []
    for n in (1, 2, 3):
        for i, name in enumerate(WEB):
            lb.set_state(name, "ready" if i < n else "maint")
        for name in WEB[:n]:
            lb.wait_for(name, "UP")
        wrk(url, cookie, 2)  # warm up: connections, caches
        web = CpuMeter(partial(cluster.web_processes, WEB[:n]))
        postgres = CpuMeter(lambda: postgres_pids(DATABASE))
        redis_before = redis_cpu()
        with web, postgres:
            rps, requests, p50, p99, errors = wrk(url, cookie, SECONDS)
        redis_used = redis_cpu() - redis_before
        row = Throughput(
            n, rps, p50, p99, errors, web.seconds / requests * 1000, web.seconds / SECONDS,
            postgres.seconds / requests * 1000, redis_used / requests * 1000,
        )  # fmt: skip
        rows.append(row)
        print(
            f"  {n} web host(s): {rps:.0f} req/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
            f"{errors} errors; web CPU {row.web_ms:.1f} ms/request ({row.web_cores:.2f} cores), "
            f"PostgreSQL {row.postgres_ms:.2f} ms/request, Redis {row.redis_ms:.2f} ms/request",
            flush=True,
        )
    for name in WEB:
        lb.set_state(name, "ready")
    return rows


# The run ---------------------------------------------------------------------------------


@contextmanager
def interrupts_as_exceptions() -> Iterator[None]:
    """SIGTERM (make or a CI runner stopping us) unwinds like Ctrl-C, through `finally`."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    if os.geteuid() != 0:
        raise SystemExit("make scale makes network namespaces: run it as root")
    for tool in ("haproxy", "wrk", "ip"):
        if not shutil.which(tool):
            raise SystemExit(f"make scale needs {tool}")
    began = time.monotonic()
    load_before = load_average()
    directory = Path(tempfile.mkdtemp(prefix="waymark-scale-"))
    cluster: Cluster | None = None
    helpers: list[subprocess.Popen[Any]] = []  # collectstatic, the single-process week
    findings: list[Finding] = []
    rows: list[Throughput] = []
    cached = (0, 0)
    sizes: dict[str, tuple[int, int]] = {}
    import redis

    cache = redis.Redis.from_url(LOCAL_ENV["REDIS_URL"])
    queue = redis.Redis.from_url(LOCAL_ENV["CELERY_BROKER_URL"])
    with interrupts_as_exceptions():
        try:
            print(f"Logs in {directory}. Database {DATABASE}, seeded afresh...", flush=True)
            drop_databases()
            cache.flushdb()  # our own database numbers only
            queue.flushdb()
            psql("postgres", f'CREATE DATABASE "{DATABASE}"')
            # Static files for DEBUG=0 (WhiteNoise's manifest), meanwhile.
            statics = subprocess.Popen(
                [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                env=LOCAL_ENV,
            )  # fmt: skip
            helpers.append(statics)
            os.environ.update(LOCAL_ENV)
            import django

            django.setup()
            logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: every line
            from django.core.management import call_command
            from django.db import connections

            call_command("migrate", interactive=False, verbosity=0)
            call_command("seed_scale", orgs=1, weeks=8)
            printed = io.StringIO()
            call_command("bench_targets", stdout=printed)
            targets = json.loads(printed.getvalue())
            connections.close_all()  # a database is copied only with nobody connected
            # The week one process sends, worked out meanwhile on a copy of the database.
            psql("postgres", f'CREATE DATABASE "{EXPECTED_DATABASE}" TEMPLATE "{DATABASE}"')
            start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            expected = subprocess.Popen(
                [PYTHON, "bench/week.py", start.isoformat()], cwd=ROOT, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env={k: v for k, v in LOCAL_ENV.items() if k != "REDIS_URL"}
                | {"DATABASE_URL": LOCAL_ENV["DATABASE_URL"].replace(DATABASE, EXPECTED_DATABASE),
                   "LOG_LEVEL": "WARNING"},
            )  # fmt: skip
            helpers.append(expected)
            if statics.wait() != 0:
                raise SystemExit("collectstatic failed")

            print("Hosts: " + ", ".join((*WEB, *WORKERS, *BEATS)), flush=True)
            cluster = Cluster(directory)
            for name in WEB:
                cluster.start_web(name)
            for name in WEB:
                cluster.wait_web(name)
            lb = cluster.start_load_balancer(free_port())
            print(f"HAProxy on 127.0.0.1:{lb.port}, every web host UP", flush=True)

            metrics = checkin_targets()
            checks: list[Callable[[], Finding]] = [
                partial(signed_in_everywhere, cluster),
                partial(edits_seen_everywhere, cluster, targets),
                partial(week_of_emails, cluster, start, expected),
                partial(kill_under_load, cluster, lb, metrics),
                partial(rolling_restart, cluster, lb, metrics),
            ]
            for check in checks:
                finding = check()
                findings.append(finding)
                print(f"{'HELD' if finding.held else 'FAILED'}: {finding.title}", flush=True)
            print("Throughput of the dashboard through HAProxy:", flush=True)
            rows = throughput(cluster, lb, targets)
            cached = cache_size()
            sizes = row_sizes()
        finally:
            print("Cleaning up...", flush=True)
            for helper in helpers:
                if helper.poll() is None:
                    helper.kill()
                    helper.wait()
            if cluster is not None:
                cluster.stop()
            hosts.network_down()
            if "django.db" in sys.modules:  # this process's connections, if it made any
                from django.conf import settings
                from django.db import connections

                if settings.configured:
                    connections.close_all()
            drop_databases()
            cache.flushdb()
            queue.flushdb()
    minutes = (time.monotonic() - began) / 60
    write_results(findings, rows, cached, sizes, minutes, load_before, load_average())
    print(f"Done in {minutes:.1f} min; every namespace, process and database removed.")
    return 0 if findings and all(f.held for f in findings) else 1


MARK = "<!-- make scale: written by bench/scale.py; make bench keeps it -->"


def write_results(
    findings: list[Finding],
    rows: list[Throughput],
    cached: tuple[int, int],
    sizes: dict[str, tuple[int, int]],
    minutes: float,
    load_before: str,
    load_after: str,
) -> None:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        MARK,
        "## Across machines (`make scale`)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine} with `{COMMAND}` "
        f"({minutes:.1f} min): three web hosts (granian, {WEB_WORKERS} worker each), two "
        "Celery workers and two beats, each in its own network namespace with its own "
        f"address on a bridge ({hosts.SUBNET}.0/24), behind HAProxy (health check "
        f"{HEALTH_PATH}); one PostgreSQL and Redis reached through a TCP forwarder on the "
        "bridge; email to an SMTP sink. One scale organisation (200 members, 400 metrics, "
        f"8 weeks of check-ins). Load average {load_before} at the start, {load_after} at the "
        "end: other sessions share the machine's two cores, and the figures say so.",
        "",
    ]
    for finding in findings:
        lines += [f"- **{'Held' if finding.held else 'FAILED'}: {finding.title}.**"]
        lines += [f"  - {line}" for line in finding.lines]
    if rows:
        lines += [
            "",
            "| web hosts | requests/s | p50 ms | p99 ms | errors | web CPU ms/request "
            "| cores the web hosts got | PostgreSQL CPU ms/request | Redis CPU ms/request |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {r.hosts} | {r.rps:,.0f} | {r.p50:.0f} | {r.p99:.0f} | {r.errors} "
                f"| {r.web_ms:.1f} | {r.web_cores:.2f} | {r.postgres_ms:.2f} | {r.redis_ms:.2f} |"
                for r in rows
            ),
            "",
            "The dashboard, signed in as the owner, through HAProxy: wrk with 2 threads and 16 "
            f"connections for {SECONDS} s per row. 'Cores the web hosts got' is their "
            "CPU-seconds per second. PostgreSQL's figure is this database's backends; Redis's "
            "is the whole server's, which other sessions use too: an upper bound. Why it does "
            "not scale linearly here: the machine has two cores for everything: the hosts, "
            "HAProxy, wrk, PostgreSQL, Redis, and other sessions' work. A host of one granian "
            "worker uses at most one core, so a second host can add at most the second core, "
            "and a third host has no core of its own. What a third host can still add on a "
            "shared machine is a larger share of the scheduler against the other sessions' "
            "processes, not capacity. On separate machines each host brings its own cores: "
            "the CPU per request is the figure that carries over (bench/CAPACITY.md).",
            "",
            f"At the end the app's cache in Redis held {cached[0]:,} keys in "
            f"{cached[1] / 1024:,.0f} KiB for the one organisation: its page parts and the "
            "sessions of this run. In PostgreSQL, the tables that grow every week: "
            + "; ".join(
                f"{table} {n:,} rows in {size / 1024 / 1024:,.1f} MiB, "
                f"{size / max(n, 1):,.0f} bytes a row"
                for table, (n, size) in sizes.items()
            )
            + ".",
        ]
    lines.append("")
    results = ROOT / "bench" / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    kept = text.split(MARK)[0].rstrip("\n")
    results.write_text(kept + "\n\n" + "\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
