"""One trial of killing a Celery worker with SIGKILL while it sends reminders, shared by
tests/integration/test_worker_kill.py (a few trials in CI) and bench/worker_kill.py (many).

A trial: N people each have a check-in due today, so each is owed one reminder email.
Beat (sweeping every second) enqueues them; a worker sends them to an SMTP sink that
takes `delay` seconds to accept each message. At a random moment after the first send
begins, the worker is killed with SIGKILL and a new one is started at once. The trial
ends when every reminder is recorded "sent"; then the sink must hold exactly one email
for each person. A claim the dead worker left "sending" is sent again by a later sweep
once its lease (EMAIL_CLAIM_LEASE_SECONDS) runs out.
"""

import random
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from core.deliveries import DeliveryState
from metrics.models import Metric
from orgs.models import EmailDelivery, Organisation, User
from orgs.roles import Role
from tests.factories import (
    MembershipFactory,
    MetricFactory,
    MissionFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.integration.machinery import Inbox, sigkill, today_in, wait_for

LEASE_SECONDS = 3
SWEEP_SECONDS = 1


@dataclass
class Trial:
    expected: int
    received: int  # messages the sink accepted for this trial's people
    duplicates: int  # received beyond one per person
    missing: int  # people who got nothing
    killed_mid_send: bool  # an SMTP transaction was open when the worker died
    retaken: int  # claims sent again after their lease ran out
    same_message_id: bool  # every duplicate carried its original's Message-ID
    seconds: float


@transaction.atomic  # a sweep must see the reminders as they end up, due today
def seed(people: int, zone: str) -> tuple[Organisation, set[str]]:
    """An organisation in `zone` where `people` members each owe a check-in today."""
    tag = uuid.uuid4().hex[:8]
    organisation = OrganisationFactory(name=f"Kill trial {tag}", time_zone=zone)
    quiet = {"receive_reminders": False, "receive_digest": False}
    owner = UserFactory(email=f"owner-{tag}@kill.example", **quiet)
    MembershipFactory(organisation=organisation, user=owner, role=Role.OWNER)
    mission = MissionFactory(organisation=organisation, owner=owner, title=f"Mission {tag}")
    recipients = set()
    for n in range(people):
        person = UserFactory(
            email=f"p{n}-{tag}@kill.example", reminder_hour=8, receive_digest=False
        )
        MembershipFactory(organisation=organisation, user=person, role=Role.MEMBER)
        MetricFactory(goal__mission=mission, owner=person)
        recipients.add(person.email)
    Metric.objects.filter(mission=mission).update(next_due_on=today_in(zone))
    return organisation, recipients


def all_sent(organisation: Organisation, expected: int) -> bool:
    states = Counter(
        EmailDelivery.objects.filter(organisation=organisation).values_list("state", flat=True)
    )
    return states == {DeliveryState.SENT: expected}


def run_trial(
    inbox: Inbox,
    worker: subprocess.Popen,
    restart: Callable[[], subprocess.Popen],
    *,
    people: int,
    zone: str,
    rng: random.Random,
    timeout: float = 90,
) -> tuple[Trial, subprocess.Popen]:
    """Run one trial with `worker` running; returns the result and the worker now running."""
    inbox.clear()
    began = time.monotonic()
    organisation, recipients = seed(people, zone)
    assert inbox.first_mail.wait(timeout), "no send began"
    time.sleep(rng.uniform(0, people * inbox.delay * 1.2))
    mid_send = inbox.transactions > len(inbox.messages)
    sigkill(worker)
    worker = restart()
    assert wait_for(lambda: all_sent(organisation, people), timeout), (
        "the reminders were not all recorded sent: "
        + repr(list(EmailDelivery.objects.filter(organisation=organisation).values("state")))
    )
    mine = [message for message in inbox.messages if message["To"] in recipients]
    counts = Counter(message["To"] for message in mine)
    ids: dict[str, set[str]] = {}
    for message in mine:
        ids.setdefault(message["To"], set()).add(message["Message-ID"])
    trial = Trial(
        expected=people,
        received=len(mine),
        duplicates=sum(count - 1 for count in counts.values()),
        missing=len(recipients - set(counts)),
        killed_mid_send=mid_send,
        retaken=EmailDelivery.objects.filter(organisation=organisation, attempts__gt=1).count(),
        same_message_id=all(len(found) == 1 for found in ids.values()),
        seconds=time.monotonic() - began,
    )
    return trial, worker


def trial_cleanup(recipients_domain: str = "@kill.example") -> None:
    """Remove trial organisations and people (the script reuses one database)."""
    Organisation.objects.filter(name__startswith="Kill trial ").delete()
    User.objects.filter(email__endswith=recipients_domain).delete()
