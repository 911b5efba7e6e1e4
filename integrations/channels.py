"""Slack and Teams channels: what each hears of, the messages built from the rows, and
posting each message once.

An organisation-wide or team channel never hears of a private mission (it is read by
people the policy would not show it to: orgs.policy.can_publish_mission); a channel set
up for one mission hears of that mission, as its admins chose.
"""

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core import events
from integrations import outbound
from integrations.chat import Item, Message, slack_message, teams_message
from integrations.models import Channel, ChannelKind, ChannelPost, SendState, lease
from metrics.models import Metric
from metrics.progress import Status
from metrics.rollups import figures_of
from missions.models import Alignment, Mission, MissionStatus
from orgs import policy
from orgs.models import Organisation

# Reminders and the digest go out from this hour of the organisation's day.
SEND_HOUR = 9
# How many times a post is tried (with a few minutes between) before it is left failed.
POST_ATTEMPTS = 5


def checkin_url(metric: Metric) -> str:
    """The one address every message's button leads to: the metric's check-in page."""
    mission = metric.mission
    return settings.SITE_URL + reverse(
        "metrics:check_in", args=[mission.organisation.slug, mission.slug, metric.uid]
    )


# ---- Who hears what -------------------------------------------------------------------------


def channels_for(organisation_id: int, missions: Iterable[Mission]) -> list[Channel]:
    """The organisation's active channels that hear of any of these missions."""
    missions = list(missions)
    ids = {mission.pk for mission in missions}
    shared = {mission.pk for mission in missions if policy.can_publish_mission(mission)}
    teams = set(Alignment.objects.filter(mission_id__in=shared).values_list("team_id", flat=True))
    found = []
    for channel in Channel.objects.filter(organisation_id=organisation_id, is_active=True):
        if channel.mission_id is not None:
            hears = channel.mission_id in ids
        elif channel.team_id is not None:
            hears = channel.team_id in teams
        else:
            hears = bool(shared)
        if hears:
            found.append(channel)
    return found


def missions_heard_by(channel: Channel) -> QuerySet[Mission]:
    """The live missions a channel hears of."""
    missions = Mission.objects.filter(organisation_id=channel.organisation_id).live()
    if channel.mission_id is not None:
        return missions.filter(pk=channel.mission_id)
    missions = missions.filter(policy.publishable_missions())
    if channel.team_id is not None:
        return missions.filter(alignments__team_id=channel.team_id).distinct()
    return missions


# ---- Messages, from the rows ----------------------------------------------------------------


def _status_label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status


def _metric_line(metric: Metric, today: date) -> str:
    status = figures_of(metric, today).status
    value = metric.format_value(metric.latest_value) if metric.latest_value is not None else "—"
    return f"{metric.name} ({metric.mission.title}): {value}, {status.label}"


def _metrics(missions: Iterable[Mission]) -> QuerySet[Metric]:
    return (
        Metric.objects.filter(mission__in=list(missions))
        .select_related("mission__organisation")
        .order_by("mission__title", "position", "pk")
    )


def event_message(
    organisation_id: int, name: str, payload: dict[str, Any]
) -> tuple[Message, list[Mission]] | None:
    """The chat message for an event, and the missions it is about; None for an event
    channels do not hear of, or whose rows are gone."""
    today = timezone.localdate()
    if name == events.METRIC_STATUS_CHANGED:
        metric = (
            Metric.objects.select_related("mission__organisation")
            .filter(mission__organisation_id=organisation_id, uid=payload["metric"]["uid"])
            .first()
        )
        if metric is None:
            return None
        now = figures_of(metric, today).status.label
        was = _status_label(payload["previous_status"])
        message = Message(
            title=f"{metric.name} is now {now}",
            intro=f"{metric.mission.title}: was {was}. {_metric_line(metric, today)}.",
            items=[Item(f"Record a new value for {metric.name}", checkin_url(metric))],
        )
        return message, [metric.mission]
    if name == events.MISSION_STATUS_CHANGED:
        mission = _mission(organisation_id, payload["mission"]["slug"])
        if mission is None:
            return None
        was = MissionStatus(payload["previous_status"]).label
        message = Message(
            title=f"{mission.title} is now {mission.get_status_display()}",
            intro=f"The mission was {was}.",
            link_url=payload["mission"]["url"],
            items=[Item(_metric_line(m, today), checkin_url(m)) for m in _metrics([mission])],
        )
        return message, [mission]
    if name == events.REPORT_PUBLISHED:
        report = payload["report"]
        missions = [
            m for slug in report["missions"] if (m := _mission(organisation_id, slug)) is not None
        ]
        message = Message(
            title=f"Report published: {report['title']}",
            intro=f"For {report['period_start']} to {report['period_end']}.",
            link_url=report["url"],
            link_label="Read the report",
            items=[Item(_metric_line(m, today), checkin_url(m)) for m in _metrics(missions)],
        )
        return message, missions
    return None


def _mission(organisation_id: int, slug: str) -> Mission | None:
    return (
        Mission.objects.select_related("organisation")
        .filter(organisation_id=organisation_id, slug=slug)
        .first()
    )


def reminders_message(channel: Channel, today: date) -> Message | None:
    """The check-ins due today or late in the channel's missions; None when there are none."""
    due = (
        _metrics(missions_heard_by(channel).filter(status=MissionStatus.ACTIVE))
        .filter(next_due_on__lte=today)
        .select_related("owner")
    )
    items = []
    for metric in due:
        assert metric.next_due_on is not None
        late = (today - metric.next_due_on).days
        when = "due today" if late == 0 else f"{late} day{'s' if late != 1 else ''} late"
        who = f", {metric.owner.display_name}" if metric.owner else ""
        items.append(
            Item(f"{metric.name} ({metric.mission.title}): {when}{who}", checkin_url(metric))
        )
    if not items:
        return None
    return Message(
        title=f"Check-ins due: {len(items)}",
        intro="These metrics are due a new value today, or are late.",
        items=items,
    )


def digest_message(channel: Channel, today: date) -> Message | None:
    """The week's progress of the channel's missions, and what needs a check-in."""
    missions = list(missions_heard_by(channel).filter(status=MissionStatus.ACTIVE))
    if not missions:
        return None
    items = []
    for mission in missions:
        rollup = figures_of(mission, today)
        progress = "no data yet" if rollup.progress is None else f"{rollup.progress:.0f}%"
        items.append(Item(f"{mission.title}: {progress}, {rollup.status.label}"))
    due = _metrics(missions).filter(next_due_on__lte=today + timedelta(days=7))
    items += [Item(f"Due soon: {_metric_line(m, today)}", checkin_url(m)) for m in due]
    return Message(
        title=f"This week in {channel.organisation.name}",
        intro=f"{len(missions)} active mission{'s' if len(missions) != 1 else ''}.",
        items=items,
    )


def formatted(channel: Channel, message: Message) -> dict[str, Any]:
    return slack_message(message) if channel.kind == ChannelKind.SLACK else teams_message(message)


# ---- Posting once ---------------------------------------------------------------------------


def channel_posts_create(channels: Iterable[Channel], key: str, message: Message) -> list[int]:
    """A post of the message for each channel, unless one with this key exists already:
    each (channel, key) is posted once. Returns the new and waiting posts' ids."""
    channels = list(channels)
    ChannelPost.objects.bulk_create(
        [ChannelPost(channel=c, key=key, body=formatted(c, message)) for c in channels],
        ignore_conflicts=True,
    )
    return list(
        ChannelPost.objects.filter(
            channel__in=channels, key=key, state=SendState.PENDING
        ).values_list("pk", flat=True)
    )


def event_posts_create(
    name: str, payload: dict[str, Any], uid: Any, organisation_id: int
) -> list[int]:
    """Posts of an event for the channels that hear of it and want its kind."""
    built = event_message(organisation_id, name, payload)
    if built is None:
        return []
    message, missions = built
    wants = "send_reports" if name == events.REPORT_PUBLISHED else "send_status_changes"
    channels = [c for c in channels_for(organisation_id, missions) if getattr(c, wants)]
    return channel_posts_create(channels, f"event:{uid}", message)


def channel_post_send(post_id: int) -> bool | None:
    """Post it if this call can claim it. Returns whether it went, None if not ours."""
    now = timezone.now()
    due = Q(state__in=[SendState.PENDING, SendState.FAILED], next_attempt_at__lte=now)
    abandoned = Q(state=SendState.SENDING, claimed_at__lt=now - lease())
    claimed = ChannelPost.objects.filter(due | abandoned, pk=post_id).update(
        state=SendState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    post = ChannelPost.objects.select_related("channel").get(pk=post_id)
    if not post.channel.is_active:  # turned off since: not posted
        ChannelPost.objects.filter(pk=post.pk).update(state=SendState.GAVE_UP)
        return False
    body = outbound_body(post.body)
    status, error = None, ""
    try:
        answer = outbound.request(
            "POST", post.channel.url, body=body, headers={"Content-Type": "application/json"}
        )
    except (outbound.RefusedAddress, outbound.FetchFailed) as failure:
        error = str(failure)
    else:
        status = answer.status
        if not 200 <= status < 300:
            error = f"The channel answered {status}: {answer.body[:200].decode(errors='replace')}"
    changes: dict[str, Any] = {"status_code": status, "error": error[:300]}
    if error:
        retry = post.attempts < POST_ATTEMPTS
        changes["state"] = SendState.FAILED if retry else SendState.GAVE_UP
        changes["next_attempt_at"] = now + timedelta(minutes=2**post.attempts)
    else:
        changes |= {"state": SendState.SENT, "sent_at": timezone.now()}
    ChannelPost.objects.filter(pk=post.pk, state=SendState.SENDING).update(**changes)
    Channel.objects.filter(pk=post.channel_id).update(last_error=error[:300])
    return not error


def outbound_body(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def channel_posts_due(now: datetime) -> list[int]:
    due = Q(state__in=[SendState.PENDING, SendState.FAILED], next_attempt_at__lte=now)
    abandoned = Q(state=SendState.SENDING, claimed_at__lt=now - lease())
    recent = Q(created_at__gte=now - timedelta(days=2))
    return list(
        ChannelPost.objects.filter(recent & (due | abandoned))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# ---- Reminders and the digest, from the sweeps ----------------------------------------------


def _local(organisation: Organisation, now: datetime) -> datetime:
    return now.astimezone(organisation.zone())


def _daily_posts_create(
    channels: QuerySet[Channel],
    now: datetime,
    kind: str,
    due: Callable[[Channel, datetime], bool],
    message_for: Callable[[Channel, date], Message | None],
) -> list[int]:
    """A post (key "<kind>:<the channel's local day>") for each channel whose local time
    `due` says is time, unless it has one already; those already posted are found in one
    query, not one a channel every sweep."""
    wanted: dict[Channel, date] = {}
    for channel in channels.select_related("organisation"):
        local = _local(channel.organisation, now)
        if due(channel, local):
            wanted[channel] = local.date()
    posted = set(
        ChannelPost.objects.filter(
            channel__in=wanted, key__in={f"{kind}:{day.isoformat()}" for day in wanted.values()}
        ).values_list("channel_id", "key")
    )
    posts: list[int] = []
    for channel, day in wanted.items():
        key = f"{kind}:{day.isoformat()}"
        if (channel.pk, key) in posted:
            continue
        message = message_for(channel, day)
        if message is not None:
            posts += channel_posts_create([channel], key, message)
    return posts


def channel_reminders_create(now: datetime) -> list[int]:
    """Today's reminders for each channel that wants them, from SEND_HOUR of its
    organisation's day: one post a channel a day."""
    return _daily_posts_create(
        Channel.objects.filter(is_active=True, send_reminders=True),
        now,
        "reminders",
        lambda channel, local: local.hour >= SEND_HOUR,
        reminders_message,
    )


def channel_digests_create(now: datetime) -> list[int]:
    """The weekly digest for each channel that wants it, on its organisation's first day
    of the week, from SEND_HOUR: one post a channel a week."""
    return _daily_posts_create(
        Channel.objects.filter(is_active=True, send_digest=True),
        now,
        "digest",
        lambda channel, local: (
            local.hour >= SEND_HOUR and local.weekday() == channel.organisation.week_starts_on
        ),
        digest_message,
    )
