"""What a member's weekly digest says of each mission: status changes, the metrics that
moved (latest value, change since the last digest, the week's readings in date order),
what is overdue, milestones coming up, commitments slipping and new ideas. Never a flat
list of check-ins."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from metrics.models import Direction, Metric, MetricFormat
from metrics.services import checkin_record
from reporting.digests import member_digest, member_digest_period, member_digest_send
from tests.emails.conftest import MONDAY, at
from tests.factories import IdeaFactory, MetricFactory, MilestoneFactory, StakeholderLinkFactory

IN_THE_WEEK = datetime(2026, 3, 6, 12, tzinfo=UTC)  # a Friday; the week is 2-8 March


def record(metric: Metric, value: str, on: date, author) -> None:
    checkin_record(metric, value=Decimal(value), for_date=on, author=author, confidence="on_track")


@pytest.fixture
def week(cast, scene):
    """Readings entered out of date order, a metric that should go down, a percentage,
    milestones overdue, coming and far off, a slipping commitment and an idea."""
    co2 = scene.metric  # should rise: 10 to 50
    waste = MetricFactory(
        goal=co2.goal, name="Waste to landfill", owner=cast.member,
        direction=Direction.DECREASE, baseline_value=Decimal(100), target_value=Decimal(20),
    )  # fmt: skip
    share = MetricFactory(
        goal=co2.goal, name="Recycled share", owner=cast.member,
        format=MetricFormat.PERCENTAGE, baseline_value=Decimal(10), target_value=Decimal(60),
    )  # fmt: skip
    quiet = MetricFactory(goal=co2.goal, name="Untouched metric", owner=cast.member)
    with time_machine.travel(datetime(2026, 2, 25, 12, tzinfo=UTC), tick=False):
        record(co2, "20", date(2026, 2, 25), cast.member)  # what the last digest said
        record(waste, "90", date(2026, 2, 25), cast.member)
        record(share, "12.5", date(2026, 2, 25), cast.member)
        record(quiet, "11", date(2026, 2, 25), cast.member)
    with time_machine.travel(IN_THE_WEEK, tick=False):
        # Entered 6 Mar, then 2 Mar, then 4 Mar: the digest lists them by date.
        record(co2, "26", date(2026, 3, 6), cast.member)
        record(co2, "22", date(2026, 3, 2), cast.owner)
        record(co2, "24", date(2026, 3, 4), cast.member)
        record(waste, "80", date(2026, 3, 5), cast.member)  # down: better
        record(share, "11", date(2026, 3, 5), cast.member)  # down: worse
        IdeaFactory(mission=scene.mission, title="Reuse crates", author=cast.viewer)
    MilestoneFactory(mission=scene.mission, title="Audit booked", due_on=date(2026, 3, 3))
    MilestoneFactory(mission=scene.mission, title="Solar panels on", due_on=date(2026, 3, 20))
    MilestoneFactory(mission=scene.mission, title="Far-off thing", due_on=date(2026, 9, 1))
    MilestoneFactory(
        mission=scene.mission, title="Done already", due_on=date(2026, 3, 12),
        done_on=date(2026, 3, 1),
    )  # fmt: skip
    StakeholderLinkFactory(
        mission=scene.mission, stakeholder__name="Greenfold Packaging",
        commitment="Recyclable crates", commitment_due_on=date(2026, 3, 1),
    )  # fmt: skip
    StakeholderLinkFactory(
        mission=scene.mission, stakeholder__name="On-time Ltd",
        commitment="Met already", commitment_due_on=date(2026, 3, 1),
        commitment_met_on=date(2026, 2, 27),
    )  # fmt: skip
    return scene


def sent_digest(cast):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        assert member_digest_send(cast.membership(cast.member).pk)
    (email,) = mail.outbox
    return email.body, email.alternatives[0][0]


def test_each_metric_that_moved_says_where_it_is_and_how_far_it_moved(cast, week):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        membership = cast.membership(cast.member)
        period = member_digest_period(membership, at(MONDAY, 9))
        (news,) = member_digest(membership, period).missions
    moves = {move.name: move for move in news.moved}
    assert list(moves) == ["Tonnes of CO2", "Waste to landfill", "Recycled share"]
    co2 = moves["Tonnes of CO2"]
    assert (co2.latest, co2.change, co2.better) == ("26", "+6", True)
    assert [(r.for_date, r.value) for r in co2.readings] == [
        (date(2026, 3, 2), "22"),
        (date(2026, 3, 4), "24"),
        (date(2026, 3, 6), "26"),
    ]
    assert (moves["Waste to landfill"].change, moves["Waste to landfill"].better) == ("-10", True)
    assert (moves["Recycled share"].change, moves["Recycled share"].better) == ("-1.5 pts", False)


def test_the_text_part_groups_readings_under_their_metric_in_date_order(cast, week):
    text, _ = sent_digest(cast)
    assert "Metrics that moved since the last digest (3):" in text
    assert (
        "- Tonnes of CO2: now 26, +6, better "
        "(2 Mar: 22 by Acme Owner, 4 Mar: 24 by Acme Member, 6 Mar: 26 by Acme Member)\n"
    ) in text
    assert "- Waste to landfill: now 80, -10, better (5 Mar by Acme Member)" in text
    assert "- Recycled share: now 11 %, -1.5 pts, worse (5 Mar by Acme Member)" in text
    assert "Untouched metric" not in text  # no reading this week: it did not move
    assert text.count("Tonnes of CO2") == 1  # one entry per metric, not one per check-in


def test_the_text_part_says_what_is_overdue_coming_up_slipping_and_new(cast, week):
    text, _ = sent_digest(cast)
    assert "Overdue (1):\n- Milestone: Audit booked, was due 3 Mar\n" in text
    assert "Milestones coming up (1):\n- Solar panels on: due 20 Mar\n" in text
    assert "Far-off thing" not in text and "Done already" not in text
    assert (
        "Commitments slipping (1):\n- Recyclable crates (Greenfold Packaging): was due 1 Mar"
        in text
    )
    assert "Met already" not in text
    assert "New ideas (1):\n- Reuse crates, by Acme Viewer" in text


def test_the_html_part_says_the_same_in_the_same_order(cast, week):
    _, html = sent_digest(cast)
    sections = [
        "Overdue (1)",
        "Metrics that moved since the last digest (3)",
        "Milestones coming up (1)",
        "Commitments slipping (1)",
        "New ideas (1)",
    ]
    positions = [html.index(section) for section in sections]
    assert positions == sorted(positions)
    readings = re.findall(r"(\d+ Mar): (\d+)", html.split("Tonnes of CO2", 1)[1])[:3]
    assert readings == [("2 Mar", "22"), ("4 Mar", "24"), ("6 Mar", "26")]
    assert '<strong>26</strong> <span class="better">+6, better</span>' in html
    assert '<span class="worse">-1.5 pts, worse</span>' in html
    assert "Audit booked" in html and "Solar panels on" in html
    assert "Greenfold Packaging" in html and "Reuse crates" in html
    assert "Untouched metric" not in html


def test_a_week_with_only_a_slipping_commitment_is_worth_a_digest(cast, scene):
    StakeholderLinkFactory(
        mission=scene.mission, commitment="Crates", commitment_due_on=date(2026, 3, 1)
    )
    Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=date(2026, 3, 20))
    with time_machine.travel(at(MONDAY, 9), tick=False):
        assert member_digest_send(cast.membership(cast.member).pk)
    assert "Commitments slipping (1)" in mail.outbox[0].body
