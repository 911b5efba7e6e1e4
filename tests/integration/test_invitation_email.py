"""A real Celery worker, over real Redis, sends an invitation to a real SMTP server."""

import os
import re
import socket
import subprocess
import sys
import time
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.urls import reverse

from config.celery import app as celery_app
from core.tokens import token_digest
from orgs.models import Invitation
from tests.conftest import require_service


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port)
    controller.start()
    yield inbox, controller.port
    controller.stop()


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def celery_worker(transactional_db, smtp_inbox, shared_broker):
    """A worker process against the test database, Redis and the SMTP inbox."""
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    require_service(postgres, "PostgreSQL (the worker needs the test database)")
    _, port = smtp_inbox
    env = os.environ | {
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": shared_broker,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "SITE_URL": "https://waymark.example",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "warning"],
        env=env,
        cwd=settings.BASE_DIR,
    )
    celery_app.conf.task_always_eager = False
    yield worker
    worker.terminate()
    worker.wait(timeout=20)


def wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_worker_delivers_the_invitation_by_smtp(cast, client, smtp_inbox, celery_worker):
    inbox, _ = smtp_inbox
    client.force_login(cast.admin)

    client.post(
        reverse("orgs:member_invite", args=["acme"]),
        {"email": "welcome@example.com", "role": "member"},
    )

    assert wait_for(lambda: inbox.messages), "no email reached the SMTP server"
    invitation = Invitation.objects.get(email="welcome@example.com")
    email = inbox.messages[0]
    assert email["To"] == "welcome@example.com"
    assert email["Subject"] == "You're invited to Acme Missions on Waymark"
    text = email.get_payload()[0].get_payload(decode=True).decode()
    token = re.search(r"https://waymark\.example/invitations/([\w-]+)/", text)[1]
    # The link the email carries is the one that works; the row holds only its digest.
    assert Invitation.objects.get(pk=invitation.pk).token_hash == token_digest(token)
    assert wait_for(lambda: Invitation.objects.get(pk=invitation.pk).sent_at is not None)

    # Delivered twice (a retry, a redelivery): still one email.
    from orgs.tasks import send_invitation_email

    send_invitation_email.delay(invitation.pk)
    time.sleep(2)
    assert len(inbox.messages) == 1
