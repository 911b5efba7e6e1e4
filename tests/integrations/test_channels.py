"""Slack and Teams channels: messages in each tool's format, received by a real local
HTTP server, within each tool's limits, each with a button to the check-in page."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations import channels, tasks
from integrations.chat import (
    SLACK_MAX_BLOCKS,
    SLACK_MAX_TEXT,
    TEAMS_MAX_BYTES,
    Item,
    Message,
    slack_message,
    teams_message,
)
from integrations.models import Channel, ChannelPost, SendState
from metrics.services import checkin_record
from missions.models import Visibility
from tests.factories import AlignmentFactory, MetricFactory, MissionFactory, TeamFactory

# A Monday, 10:00 in London (GMT in winter): reminders and digests are due.
MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def mission(cast):
    return MissionFactory(organisation=cast.org, owner=cast.owner, title="Zero waste")


@pytest.fixture
def metric(mission, cast):
    return MetricFactory(
        goal__mission=mission,
        owner=cast.member,
        name="Landfill tonnes",
        baseline_value=Decimal("0"),
        baseline_on=date(2026, 1, 1),
        target_value=Decimal("100"),
        target_on=date(2027, 1, 1),
    )


def channel_for(cast, url: str, kind: str = "slack", **more) -> Channel:
    fields = {"name": f"#{kind}", "url": url + f"/{kind}"} | more
    return Channel.objects.create(organisation=cast.org, kind=kind, **fields)


def status_change(metric, captured, value: str) -> None:
    with captured(execute=True):
        checkin_record(
            metric,
            value=Decimal(value),
            for_date=timezone.localdate(),
            author=metric.owner,
            confidence="on_track",
        )


def check_in_url(metric) -> str:
    mission = metric.mission
    return "http://testserver" + reverse(
        "metrics:check_in", args=[mission.organisation.slug, mission.slug, metric.uid]
    )


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


def buttons(document) -> list[str]:
    """Every button's address, in Slack blocks or in a Teams card."""
    found = []
    for block in document.get("blocks", []):
        if "accessory" in block:
            found.append(block["accessory"]["url"])
    for attachment in document.get("attachments", []):
        for part in attachment["content"]["body"]:
            found += [action["url"] for action in part.get("actions", [])]
    return found


def test_a_status_change_reaches_slack_as_blocks_with_a_check_in_button(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    channel_for(cast, receiver.url)
    status_change(metric, django_capture_on_commit_callbacks, "1")  # far behind: off track

    [post] = receiver.posts()
    assert post.path == "/slack"
    document = json.loads(post.body)
    assert document["blocks"][0]["type"] == "header"
    assert "Landfill tonnes is now Off track" in document["blocks"][0]["text"]["text"]
    assert check_in_url(metric) in buttons(document)
    assert ChannelPost.objects.get().state == SendState.SENT


def test_a_status_change_reaches_teams_as_an_adaptive_card(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    channel_for(cast, receiver.url, kind="teams")
    status_change(metric, django_capture_on_commit_callbacks, "1")

    [post] = receiver.posts()
    document = json.loads(post.body)
    assert document["type"] == "message"
    [attachment] = document["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert "Landfill tonnes is now Off track" in attachment["content"]["body"][0]["text"]
    assert check_in_url(metric) in buttons(document)


def test_a_check_in_that_keeps_the_status_posts_nothing(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    status_change(metric, django_capture_on_commit_callbacks, "1")
    channel_for(cast, receiver.url)
    status_change(metric, django_capture_on_commit_callbacks, "2")
    assert receiver.posts() == []


def test_a_failed_post_is_tried_again_and_sent_once(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    channel = channel_for(cast, receiver.url)
    receiver.statuses = [500]
    status_change(metric, django_capture_on_commit_callbacks, "1")
    channel.refresh_from_db()
    assert "500" in channel.last_error
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        tasks.sweep_integrations()
        tasks.sweep_integrations()
    assert len(receiver.posts()) == 2
    post = ChannelPost.objects.get()
    assert post.state == SendState.SENT and post.attempts == 2
    channel.refresh_from_db()
    assert channel.last_error == ""


def test_a_private_mission_is_never_posted_to_an_organisation_or_team_channel(
    cast, metric, mission, receiver, local_addresses, django_capture_on_commit_callbacks
):
    mission.visibility = Visibility.PRIVATE
    mission.save()
    team = TeamFactory(organisation=cast.org)
    AlignmentFactory(mission=mission, team=team)
    channel_for(cast, receiver.url)
    channel_for(cast, receiver.url, kind="teams", team=team)
    status_change(metric, django_capture_on_commit_callbacks, "1")
    assert receiver.posts() == []
    # A channel set up for the mission itself hears of it.
    channel_for(cast, receiver.url, kind="slack", mission=mission, name="#private-one")
    status_change(metric, django_capture_on_commit_callbacks, "90")
    assert len(receiver.posts()) == 1


def test_a_team_channel_hears_only_of_its_teams_missions(
    cast, metric, mission, receiver, local_addresses, django_capture_on_commit_callbacks
):
    team, other_team = TeamFactory(organisation=cast.org), TeamFactory(organisation=cast.org)
    AlignmentFactory(mission=mission, team=team)
    Channel.objects.create(
        organisation=cast.org,
        kind="slack",
        name="#other",
        url=receiver.url + "/other",
        team=other_team,
    )
    Channel.objects.create(
        organisation=cast.org, kind="slack", name="#team", url=receiver.url + "/team", team=team
    )
    status_change(metric, django_capture_on_commit_callbacks, "1")
    assert [post.path for post in receiver.posts()] == ["/team"]


def test_reminders_go_to_a_channel_once_a_day_from_nine(cast, metric, receiver, local_addresses):
    metric.next_due_on = date(2026, 12, 4)
    metric.save(update_fields=["next_due_on"])
    channel_for(cast, receiver.url)
    with time_machine.travel(MONDAY_MORNING - timedelta(hours=2), tick=False):
        tasks.sweep_integrations()
    assert ChannelPost.objects.filter(key__startswith="reminders:").count() == 0
    with time_machine.travel(MONDAY_MORNING, tick=False):
        tasks.sweep_integrations()
        tasks.sweep_integrations()
    reminders = [json.loads(p.body) for p in receiver.posts() if b"Check-ins due" in p.body]
    assert len(reminders) == 1
    text = json.dumps(reminders[0])
    assert "Landfill tonnes (Zero waste): 3 days late, Acme Member" in text
    assert check_in_url(metric) in buttons(reminders[0])


def test_the_weekly_digest_goes_to_a_channel_on_the_first_day_of_the_week(
    cast, metric, receiver, local_addresses
):
    channel_for(cast, receiver.url, kind="teams")
    with time_machine.travel(MONDAY_MORNING + timedelta(days=1), tick=False):
        tasks.sweep_integrations()
    assert not ChannelPost.objects.filter(key__startswith="digest:").exists()
    with time_machine.travel(MONDAY_MORNING, tick=False):
        tasks.sweep_integrations()
        tasks.sweep_integrations()
    digests = [json.loads(p.body) for p in receiver.posts() if b"This week in" in p.body]
    assert len(digests) == 1
    assert "Zero waste" in json.dumps(digests[0])


def test_a_sweep_after_the_days_posts_asks_the_same_however_many_channels(cast, metric):
    """Once today's reminders and digest are posted, each sweep finds them in one query,
    not one per channel."""

    def later_sweep() -> int:
        with time_machine.travel(MONDAY_MORNING, tick=False):
            channels.channel_reminders_create(timezone.now())
            channels.channel_digests_create(timezone.now())  # posted: what is asked
            with CaptureQueriesContext(connection) as captured:
                channels.channel_reminders_create(timezone.now())
                channels.channel_digests_create(timezone.now())
        return len(captured)

    metric.next_due_on = date(2026, 12, 4)
    metric.save(update_fields=["next_due_on"])
    for _ in range(2):
        channel_for(cast, "https://hooks.example/a")
    before = later_sweep()
    for _ in range(8):
        channel_for(cast, "https://hooks.example/a")

    assert later_sweep() == before
    assert ChannelPost.objects.filter(key="reminders:2026-12-07").count() == 10


def many(count: int) -> Message:
    long = "x" * 5000
    return Message(
        title="T" * 400,
        intro=long,
        link_url="https://example.com/",
        items=[Item(f"{n} {long}", f"https://example.com/{n}") for n in range(count)],
    )


def test_slack_messages_stay_within_block_and_text_limits():
    document = slack_message(many(120))
    blocks = document["blocks"]
    assert len(blocks) == SLACK_MAX_BLOCKS
    assert blocks[-1]["elements"][0]["text"] == f"and {120 - (SLACK_MAX_BLOCKS - 3)} more"
    assert all(len(b["text"]["text"]) <= SLACK_MAX_TEXT for b in blocks if "text" in b)
    assert len(blocks[0]["text"]["text"]) <= 150
    small = slack_message(many(3))
    assert len(small["blocks"]) == 5 and "more" not in json.dumps(small["blocks"][-1])


def test_slack_shows_what_people_typed_not_markup():
    document = slack_message(Message(title="t", items=[Item("<!channel> & <http://x|y>")]))
    assert document["blocks"][1]["text"]["text"] == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"


def test_teams_cards_stay_within_their_size():
    document = teams_message(many(200))
    assert len(json.dumps(document).encode()) <= TEAMS_MAX_BYTES
    body = document["attachments"][0]["content"]["body"]
    assert body[-1]["text"].startswith("and ") and body[-1]["text"].endswith(" more")
    small = teams_message(many(2))
    assert " more" not in json.dumps(small)


def test_the_check_in_link_is_built_in_one_place(metric):
    assert channels.checkin_url(metric) == check_in_url(metric)


def test_an_admin_adds_a_channel_and_a_member_cannot(cast, login, receiver, local_addresses):
    url = reverse("integrations:channel_add", args=[cast.org.slug])
    data = {"kind": "slack", "name": "#wins", "url": receiver.url + "/x", "send_digest": "on"}
    assert login(cast.member).post(url, data).status_code == 403
    response = login(cast.admin).post(url, data)
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.organisation == cast.org and channel.send_digest and not channel.send_reports


def test_a_channel_cannot_be_for_another_organisations_team(cast, login, local_addresses):
    foreign = TeamFactory(organisation=cast.other_org)
    response = login(cast.admin).post(
        reverse("integrations:channel_add", args=[cast.org.slug]),
        {"kind": "slack", "name": "#x", "url": "http://127.0.0.1:9/x", "team": foreign.pk},
    )
    assert response.status_code == 400
    assert not Channel.objects.exists()


def test_a_channel_turned_off_before_its_post_went_posts_nothing(cast, receiver, local_addresses):
    channel = channel_for(cast, receiver.url)
    [post_id] = channels.channel_posts_create([channel], "event:x", Message(title="Hello"))
    Channel.objects.filter(pk=channel.pk).update(is_active=False)
    assert tasks.send_channel_post(post_id) is False
    assert receiver.posts() == []
    assert ChannelPost.objects.get().state == SendState.GAVE_UP
