"""Real servers for the integration tests and the fault scripts: an SMTP sink (aiosmtpd),
throwaway redis-servers, Celery workers and beats in their own processes."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent
BOUNCE = "bounce@acme.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An SMTP server's handler: keeps what it accepts, refuses BOUNCE at RCPT.

    With a `delay`, each message is accepted (250 after DATA) that many seconds after it
    arrived, so that a worker can be killed in the middle of sending. A message counts as
    received when the server answers 250, as a real server takes responsibility then.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.refused: list[str] = []
        self.transactions = 0  # MAIL FROM commands: sends begun
        self.first_mail = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.transactions += 1
        self.first_mail.set()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == BOUNCE:
            self.refused.append(address)
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.raw.append(envelope.content)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        self.messages.clear()
        self.raw.clear()
        self.refused.clear()
        self.transactions = 0
        self.first_mail.clear()


class SmtpServer:
    """A real SMTP server on a fixed port, which a test can start late (to be down)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.inbox = Inbox(delay)
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


NOT_SAVED = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no")


class RedisServer:
    """A redis-server of our own on a free port, with nothing saved to disk: one we may
    stop and kill, unlike the shared one."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.process = subprocess.Popen(  # noqa: S603 (our arguments)
            [binary, "--port", str(self.port), *NOT_SAVED],
            stdout=subprocess.DEVNULL,
        )
        assert wait_for(self.answers, 10), "redis-server did not start"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def broker(url: str) -> Iterator[None]:
    """This process's Celery publishes to `url` (not in process) while inside."""
    from config.celery import app

    def reconnect() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = url, False
    reconnect()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = before
        reconnect()


def database_url(*, direct: bool = False) -> str:
    """The test database's URL, as the app reaches it; with `direct`, PostgreSQL's own
    address even when the app goes through PgBouncer (pgbouncer.sh sets
    TEST_POSTGRES_DIRECT): pg_dump and pg_restore set session state a transaction pool
    would hand on to the next client."""
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    address = f"{db['HOST']}:{db['PORT']}"
    if direct:
        address = os.environ.get("TEST_POSTGRES_DIRECT", address)
    return f"postgres://{db['USER']}{password}@{address}/{db['NAME']}"


def celery_env(*, redis_url: str, smtp_port: int, **more: str) -> dict[str, str]:
    """The environment of a worker or beat against the current database."""
    return os.environ | {
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        **more,
    }


CELERY = (sys.executable, "-m", "celery", "-A", "config")
LOG_LEVEL = os.environ.get("CELERY_LOG_LEVEL", "warning")


def start_worker(env: dict[str, str], name: str) -> subprocess.Popen:
    # Our own Celery, with arguments built here: nothing untrusted (S603).
    return subprocess.Popen(  # noqa: S603
        [*CELERY, "worker", "--pool=solo", "-n", f"{name}@%h", "-l", LOG_LEVEL],
        env=env,
        cwd=ROOT,
    )


def start_beat(env: dict[str, str], schedule: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [*CELERY, "beat", "-s", str(schedule), "-l", LOG_LEVEL],
        env=env,
        cwd=ROOT,
    )


def sigkill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            sigkill(process)


def wait_for(condition: Callable[[], object], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def daytime_zone() -> str:
    """A zone where it is now between 10:00 and 20:00: everything is due today, and the
    day will not change while the test runs."""
    now = datetime.now(UTC)
    for offset in range(-12, 15):
        if 10 <= (now.hour + offset) % 24 <= 20:
            return f"Etc/GMT{-offset:+d}" if offset else "UTC"
    raise AssertionError("unreachable")


def today_in(zone: str):
    return datetime.now(zoneinfo.ZoneInfo(zone)).date()
