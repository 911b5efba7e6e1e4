"""Two real Celery workers and two beats, over real Redis and PostgreSQL, send the
reminders and digests due now to a real SMTP server: each exactly once, however many
sweeps run, with a bouncing address in the batch."""

import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from config.celery import app as celery_app
from core.deliveries import DeliveryState
from metrics.models import CheckIn, Metric
from metrics.services import checkin_record
from missions.models import Visibility
from orgs.models import EmailDelivery, Organisation, Stakeholder, User
from orgs.roles import Role
from reporting.tasks import sweep_digests, sweep_reminders
from tests.conftest import require_service
from tests.factories import (
    MembershipFactory,
    MetricFactory,
    MissionFactory,
    StakeholderLinkFactory,
    UserFactory,
)
from tests.integration.machinery import (
    BOUNCE,
    Inbox,
    SmtpServer,
    celery_env,
    daytime_zone,
    start_beat,
    start_worker,
    stop,
    today_in,
    wait_for,
)

SITE = "https://waymark.example"
SWEEP_SECONDS = 2


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def start_celery(transactional_db, smtp_server, tmp_path, shared_broker):
    """Starts two workers and two beats (sweeping every 2 s) once the test's data is in."""
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    require_service(postgres, "PostgreSQL (the workers need the test database)")
    env = celery_env(
        redis_url=shared_broker,
        smtp_port=smtp_server.port,
        SITE_URL=SITE,
        SWEEP_SECONDS=str(SWEEP_SECONDS),
    )
    processes: list[subprocess.Popen] = []

    def start() -> None:
        for n in (1, 2):
            processes.append(start_worker(env, f"emails{n}"))
            processes.append(start_beat(env, tmp_path / f"beat{n}"))
        celery_app.conf.task_always_eager = False

    yield start, processes
    stop(processes)


@pytest.fixture
def acme(cast):
    """Due now: a reminder to the member (two metrics), an escalation to the owner, a
    bouncing metric owner, digests for the owner, admin and member, and a consenting
    stakeholder's weekly digest. Nothing for the viewer or the stakeholder who never
    agreed to email."""
    zone = daytime_zone()
    today = today_in(zone)
    Organisation.objects.filter(pk=cast.org.pk).update(
        time_zone=zone, week_starts_on=today.weekday()
    )
    User.objects.update(reminder_hour=8)
    bouncer = UserFactory(email=BOUNCE, name="Bo Bounce", reminder_hour=8)
    MembershipFactory(organisation=cast.org, user=bouncer, role=Role.MEMBER)
    mission = MissionFactory(
        organisation=cast.org,
        title="Net zero",
        slug="net-zero",
        owner=cast.owner,
        visibility=Visibility.SHAREABLE,
        end_state="By 2030, every delivery is zero-carbon.",
    )
    due_today = MetricFactory(goal__mission=mission, name="Tonnes of CO2", owner=cast.member)
    a_week_late = MetricFactory(
        goal=due_today.goal, name="Fleet miles", owner=cast.member, cadence="weekly"
    )
    bounced = MetricFactory(goal=due_today.goal, name="Waste", owner=bouncer)
    checkin_record(
        due_today,
        value=Decimal(30),
        for_date=today - timedelta(days=3),
        author=cast.member,
        confidence="on_track",
        note="SECRET NOTE",
    )
    # Recorded during last week, as the digests count them.
    CheckIn.objects.update(created_at=datetime.now(UTC) - timedelta(days=3))
    Metric.objects.filter(pk__in=[due_today.pk, bounced.pk]).update(next_due_on=today)
    Metric.objects.filter(pk=a_week_late.pk).update(
        next_due_on=today - timedelta(days=7), created_at=datetime.now(UTC) - timedelta(days=60)
    )
    StakeholderLinkFactory(
        mission=mission,
        stakeholder__name="Greenfold Packaging",
        stakeholder__email="dev@greenfold.example",
        stakeholder__consent_to_email=True,
        stakeholder__digest_frequency="weekly",
    )
    StakeholderLinkFactory(
        mission=mission, stakeholder__name="Quiet Ltd", stakeholder__email="no@quiet.example"
    )
    return mission


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def local_path(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SITE
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


EXPECTED = {
    # (recipient, what the subject says after the organisation's name)
    ("member@acme.example", "2 check-ins to record"),
    ("owner@acme.example", "“Fleet miles” on Net zero is 7 days late"),
    ("owner@acme.example", "your missions’ week"),
    ("admin@acme.example", "your missions’ week"),
    ("member@acme.example", "your missions’ week"),
    ("dev@greenfold.example", "weekly progress update"),
}


def kind_of(message: EmailMessage) -> tuple[str, str]:
    subject = message["Subject"].removeprefix("Acme Missions: ")
    for to, start in EXPECTED:
        if message["To"] == to and subject.startswith(start):
            return to, start
    raise AssertionError(f"unexpected email to {message['To']}: {message['Subject']}")


def assert_each_sent_once(inbox: Inbox) -> None:
    counts = Counter(kind_of(message) for message in inbox.messages)
    assert counts == Counter(EXPECTED), counts
    # Acme's only: early in the week, the other organisation's member is due a digest too
    # (skipped, as nothing happened there).
    states = Counter(
        EmailDelivery.objects.filter(organisation__slug="acme").values_list("state", flat=True)
    )
    # Sent: the member's two reminders go in one email, hence 7 rows for 6 emails. The
    # bouncing member's reminder and digest are refused once each and not retried.
    assert states == {DeliveryState.SENT: 7, DeliveryState.BOUNCED: 2, DeliveryState.SKIPPED: 1}
    assert set(inbox.refused) == {BOUNCE}


def sweep_by_hand_twice() -> None:
    for _ in range(2):
        sweep_reminders.delay()
        sweep_digests.delay()


def test_the_sweeps_send_every_email_due_exactly_once(cast, acme, smtp_server, start_celery):
    inbox = smtp_server.inbox
    smtp_server.start()
    start, _ = start_celery
    start()

    assert wait_for(lambda: len(inbox.messages) >= len(EXPECTED)), (
        f"only {[m['Subject'] for m in inbox.messages]} arrived"
    )
    # Both beats go on sweeping every 2 s, and the sweeps are sent by hand twice more.
    sweep_by_hand_twice()
    time.sleep(SWEEP_SECONDS * 4)
    assert_each_sent_once(inbox)

    for message, raw in zip(inbox.messages, inbox.raw, strict=True):
        assert message["From"] == "Acme Missions via Waymark <waymark@localhost>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith(f"{SITE}/unsubscribe/")
        assert f"\r\nList-Unsubscribe: <{unsubscribe}>\r\n".encode() in raw
        text, html = text_and_html(message)
        assert unsubscribe in text and f'href="{unsubscribe}"' in html
        assert "<svg" not in html

    by_kind = {kind_of(m): m for m in inbox.messages}
    client = Client()

    # The reminder's link opens the check-in form, prefilled, once logged in.
    reminder_text, _ = text_and_html(by_kind[("member@acme.example", "2 check-ins to record")])
    links = [line.split(": ", 1)[1] for line in reminder_text.splitlines() if "Check in: " in line]
    assert len(links) == 2
    assert client.get(local_path(links[0])).status_code == 302  # to the login page
    client.force_login(cast.member)
    prefilled = set()
    for link in links:
        # Prefilled with the latest reading, or the baseline when there is none yet.
        form = client.get(local_path(link))
        assert form.status_code == 200
        prefilled |= {v for v in ("30", "10") if f'value="{v}"'.encode() in form.content}
        assert b'name="next" value="/o/acme/my-check-ins/"' in form.content
    assert prefilled == {"30", "10"}

    # The stakeholder's digest says nothing private, and its unsubscribe link works.
    stakeholder = by_kind[("dev@greenfold.example", "weekly progress update")]
    text, html = text_and_html(stakeholder)
    assert "By 2030, every delivery is zero-carbon." in text
    assert "SECRET NOTE" not in text + html and "acme.example" not in text + html
    anonymous = Client(enforce_csrf_checks=True)
    unsubscribe = local_path(stakeholder["List-Unsubscribe"].strip("<>"))
    assert anonymous.get(unsubscribe).status_code == 200
    assert anonymous.post(unsubscribe, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Stakeholder.objects.get(email="dev@greenfold.example").digest_frequency == "none"


def test_with_the_mail_server_down_the_workers_carry_on_and_send_once_it_is_back(
    cast, acme, smtp_server, start_celery
):
    start, processes = start_celery
    start()
    # Every send fails, gives its claim back and is retried, by the task and by sweeps.
    assert wait_for(
        lambda: (
            EmailDelivery.objects.filter(state=DeliveryState.FAILED, attempts__gte=2).count() >= 3
        )
    )
    assert all(process.poll() is None for process in processes), "a worker or beat died"

    smtp_server.start()

    inbox = smtp_server.inbox
    assert wait_for(lambda: len(inbox.messages) >= len(EXPECTED)), (
        f"only {[m['Subject'] for m in inbox.messages]} arrived"
    )
    sweep_by_hand_twice()
    time.sleep(SWEEP_SECONDS * 4)
    assert_each_sent_once(inbox)
