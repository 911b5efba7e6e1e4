"""Helpers for the email tests: a mail server that can bounce or be down, and a mission."""

import smtplib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend

from metrics.models import Metric
from metrics.services import checkin_record
from missions.models import Mission, Visibility
from tests.conftest import Cast
from tests.factories import (
    IdeaFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    StakeholderLinkFactory,
)


class TroubledEmailBackend(EmailBackend):
    """The test outbox, with a server that refuses some addresses at RCPT (a bounce) or
    is down altogether, as a real SMTP backend would report them."""

    refused: set[str] = set()
    down = False

    def send_messages(self, messages):
        if TroubledEmailBackend.down:
            raise ConnectionRefusedError(111, "Connection refused")
        for message in messages:
            refused = {a: (550, b"5.1.1 No such user") for a in message.to if a in self.refused}
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
        return super().send_messages(messages)


@pytest.fixture
def troubled_mail(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.emails.conftest.TroubledEmailBackend"}}
    TroubledEmailBackend.refused = set()
    TroubledEmailBackend.down = False
    yield TroubledEmailBackend
    TroubledEmailBackend.refused = set()
    TroubledEmailBackend.down = False


@dataclass
class Scene:
    mission: Mission
    metric: Metric


@pytest.fixture
def scene(cast: Cast) -> Scene:
    """A live mission owned by the owner, with a weekly metric the member looks after."""
    mission = MissionFactory(
        organisation=cast.org, title="Net zero", slug="net-zero", owner=cast.owner
    )
    metric = MetricFactory(goal__mission=mission, name="Tonnes of CO2", owner=cast.member)
    return Scene(mission, metric)


MONDAY = date(2026, 3, 9)  # the organisation's weeks start on Mondays (London)
IN_THE_WEEK = datetime(2026, 3, 4, 12, tzinfo=UTC)  # the Wednesday before


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def busy_week(cast, scene):
    """Last week on Net zero: a reading that turned it around, an idea, a late metric."""
    metric = scene.metric
    with time_machine.travel(datetime(2026, 2, 20, 12, tzinfo=UTC), tick=False):
        checkin_record(
            metric,
            value=Decimal(10),
            for_date=date(2026, 2, 20),
            author=cast.member,
            confidence="off_track",
            note="Secret note",
        )
        late = MetricFactory(goal=metric.goal, name="Fleet miles", owner=cast.owner)
        Metric.objects.filter(pk=late.pk).update(next_due_on=date(2026, 3, 1))
    with time_machine.travel(IN_THE_WEEK, tick=False):
        checkin_record(
            metric,
            value=Decimal(30),
            for_date=date(2026, 3, 4),
            author=cast.member,
            confidence="on_track",
            note="Secret note",
        )
        IdeaFactory(mission=scene.mission, title="Secret idea: e-bikes", author=cast.viewer)
        MilestoneFactory(mission=scene.mission, title="Boiler replaced", done_on=date(2026, 3, 5))
    return scene


@pytest.fixture
def supplier(cast, busy_week):
    """A consenting supplier following Net zero (shareable) and a private mission."""
    busy_week.mission.visibility = Visibility.SHAREABLE
    busy_week.mission.end_state = "By 2030, every delivery is zero-carbon."
    busy_week.mission.save()
    link = StakeholderLinkFactory(
        mission=busy_week.mission,
        stakeholder__name="Greenfold Packaging",
        stakeholder__contact_name="Dev",
        stakeholder__email="dev@greenfold.example",
        stakeholder__consent_to_email=True,
        stakeholder__digest_frequency="weekly",
        commitment="Recyclable packaging by 2027",
    )
    private = MissionFactory(organisation=cast.org, title="Secret Mission", owner=cast.owner)
    StakeholderLinkFactory(mission=private, stakeholder=link.stakeholder)
    with time_machine.travel(IN_THE_WEEK, tick=False):
        checkin_record(
            MetricFactory(goal__mission=private, owner=cast.owner),
            value=Decimal(20),
            for_date=date(2026, 3, 4),
            author=cast.owner,
            confidence="on_track",
        )
    return link.stakeholder
