"""A Celery worker killed with SIGKILL in the middle of a batch of digests, which it claims
and records sent a chunk at a time: once a new worker has started, every digest arrives,
and the only ones sent twice are of the chunk the dead worker held, sent again once their
lease ran out, as the same messages."""

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings

from core.deliveries import DeliveryState
from metrics.models import CheckIn
from metrics.services import checkin_record
from orgs.models import EmailDelivery, Organisation, User
from orgs.roles import Role
from tests.conftest import require_service
from tests.factories import (
    MembershipFactory,
    MetricFactory,
    MissionFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.integration.machinery import (
    RedisServer,
    SmtpServer,
    celery_env,
    daytime_zone,
    sigkill,
    start_beat,
    start_worker,
    stop,
    today_in,
    wait_for,
)

ADMINS = 10
CHUNK = 3
LEASE_SECONDS = 3
SMTP_DELAY = 0.2


@pytest.fixture
def servers(transactional_db, tmp_path):
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    require_service(postgres, "PostgreSQL (the workers need the test database)")
    require_service(RedisServer.available(), "redis-server (a broker of the test's own)")
    broker = RedisServer()
    broker.start()
    smtp = SmtpServer(delay=SMTP_DELAY)
    smtp.start()
    env = celery_env(
        redis_url=broker.url,
        smtp_port=smtp.port,
        SWEEP_SECONDS="1",
        EMAIL_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS),
        EMAIL_SEND_CHUNK=str(CHUNK),
    )
    processes = [start_beat(env, tmp_path / "beat")]
    yield env, smtp, processes
    stop(processes)
    smtp.stop()
    broker.kill()


def a_week_with_news(zone: str) -> tuple[Organisation, set[str]]:
    """An organisation in `zone` whose week starts today, with a check-in last week, and
    admins (who hear of every mission) whose digest is due now."""
    organisation = OrganisationFactory(
        name="Kill Co", time_zone=zone, week_starts_on=today_in(zone).weekday()
    )
    quiet = {"receive_reminders": False, "receive_digest": False}
    owner = UserFactory(email="owner@kill.example", reminder_hour=8, **quiet)
    MembershipFactory(organisation=organisation, user=owner, role=Role.OWNER)
    mission = MissionFactory(organisation=organisation, owner=owner, title="Net zero")
    checkin_record(
        MetricFactory(goal__mission=mission, owner=owner),
        value=Decimal(30),
        for_date=today_in(zone) - timedelta(days=3),
        author=owner,
        confidence="on_track",
    )
    CheckIn.objects.update(created_at=datetime.now(UTC) - timedelta(days=3))
    admins = set()
    for n in range(ADMINS):
        admin = UserFactory(email=f"admin{n}@kill.example", reminder_hour=8)
        MembershipFactory(organisation=organisation, user=admin, role=Role.ADMIN)
        admins.add(admin.email)
    User.objects.update(reminder_hour=8)
    return organisation, admins


def test_a_worker_killed_mid_batch_loses_no_digest_and_resends_only_its_chunk(servers):
    env, smtp, processes = servers
    inbox = smtp.inbox
    organisation, admins = a_week_with_news(daytime_zone())
    processes.append(start_worker(env, "doomed"))
    assert inbox.first_mail.wait(90), "no send began"
    # Somewhere in the batch: ten digests at SMTP_DELAY each.
    time.sleep(random.Random(7).uniform(0.5, ADMINS * SMTP_DELAY * 0.8))
    sigkill(processes[-1])
    held = set(
        EmailDelivery.objects.filter(
            organisation=organisation, state=DeliveryState.SENDING
        ).values_list("recipient", flat=True)
    )
    assert 0 < len(held) <= CHUNK, "the worker was not killed mid-batch"
    processes.append(start_worker(env, "after"))

    def all_sent() -> bool:
        states = EmailDelivery.objects.filter(organisation=organisation).values_list("state")
        return Counter(state for (state,) in states) == {DeliveryState.SENT: ADMINS}

    assert wait_for(all_sent, 90), list(
        EmailDelivery.objects.filter(organisation=organisation).values("recipient", "state")
    )
    time.sleep(2)  # sweeps go on: nothing more may arrive
    received = Counter(m["To"] for m in inbox.messages if m["To"] in admins)
    assert set(received) == admins
    retaken = set(
        EmailDelivery.objects.filter(organisation=organisation, attempts__gt=1).values_list(
            "recipient", flat=True
        )
    )
    # Only the killed chunk was left "sending", and taken again after its lease.
    assert retaken == held
    assert {to for to, count in received.items() if count > 1} <= retaken
    assert max(received.values()) <= 2
    ids: dict[str, set[str]] = {}
    for message in inbox.messages:
        ids.setdefault(message["To"], set()).add(message["Message-ID"])
    assert all(len(found) == 1 for found in ids.values())
