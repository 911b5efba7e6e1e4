"""Digests: a member's week on their missions, and a stakeholder's update on the
shareable missions they follow; which are due now, and sending each once.

Each digest is read in a fixed number of queries, however many missions and metrics
it covers. A digest with nothing worth saying is not sent (and is recorded as
skipped, so later sweeps don't build it again).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property, partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from core import dates, numbers
from core.deliveries import (
    Claim,
    Outgoing,
    claimed_sends,
    deliveries_settled,
    deliveries_skip,
    sending_day,
)
from metrics.models import CheckIn, Direction, Metric, MetricFormat
from metrics.progress import Status
from metrics.rollups import (
    MissionProgress,
    Rollup,
    figures_of,
    metric_figures,
    metric_progress,
    mission_figures,
    mission_progress,
    rolled_up,
)
from missions.models import (
    Alignment,
    Goal,
    Idea,
    Milestone,
    Mission,
    MissionStatus,
    StakeholderLink,
    Visibility,
)
from orgs.emails import organisation_email
from orgs.models import DigestFrequency, EmailKind, Membership, Organisation, Stakeholder
from orgs.unsubscribe import Topic, unsubscribe_url
from reporting.sharing import PUBLIC_METRIC_KINDS

# Stakeholders have no preferences of their own: their digest comes at this hour of the
# organisation's day, on the first day of its week or of the month.
STAKEHOLDER_HOUR = 8
# A digest a sweep could not send on its day (everything was down) still goes out up to
# this many days late; after that its news is stale, and the next one will do.
CATCH_UP_DAYS = 2


@dataclass(frozen=True, slots=True)
class DigestPeriod:
    """The days a digest covers, both included, and the key that makes it go once."""

    first: date
    last: date
    send_on: date
    key: str

    @property
    def label(self) -> str:
        return dates.date_range(self.first, self.last)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as instants, for comparing with stored (UTC) datetimes."""
        start = datetime.combine(self.first, time.min, tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone)
        return start, end


def _week_start(day: date, organisation: Organisation) -> date:
    return day - timedelta(days=(day.weekday() - organisation.week_starts_on) % 7)


def member_digest_period(
    membership: Membership, now: datetime, *, upcoming: bool = False
) -> DigestPeriod | None:
    """The week this person's digest covers, if it is due now.

    Due from their digest day, at their hour, for CATCH_UP_DAYS (but not into the next
    week of the organisation's). `upcoming=True` gives this week's period even before or
    after then: what the preview shows.
    """
    user, organisation = membership.user, membership.organisation
    zone = user.zone_in(organisation)
    # The preview shows this calendar week's, even before their hour on the day.
    day = now.astimezone(zone).date() if upcoming else sending_day(now, zone, user.reminder_hour)
    week_start = _week_start(day, organisation)
    send_on = week_start + timedelta(
        days=(user.digest_day_in(organisation) - organisation.week_starts_on) % 7
    )
    if not upcoming and not 0 <= (day - send_on).days <= CATCH_UP_DAYS:
        return None
    return DigestPeriod(
        first=send_on - timedelta(days=7),
        last=send_on - timedelta(days=1),
        send_on=send_on,
        key=f"org:{organisation.pk}:week:{week_start.isoformat()}",
    )


def stakeholder_digest_period(stakeholder: Stakeholder, now: datetime) -> DigestPeriod | None:
    """The last week (or calendar month) before this one, due from the first morning of
    this one."""
    organisation = stakeholder.organisation
    day = sending_day(now, organisation.zone(), STAKEHOLDER_HOUR)
    if stakeholder.digest_frequency == DigestFrequency.WEEKLY:
        send_on = _week_start(day, organisation)
        first, key = send_on - timedelta(days=7), f"week:{send_on.isoformat()}"
    elif stakeholder.digest_frequency == DigestFrequency.MONTHLY:
        send_on = day.replace(day=1)
        first, key = (send_on - timedelta(days=1)).replace(day=1), f"month:{send_on:%Y-%m}"
    else:
        return None
    if (day - send_on).days > CATCH_UP_DAYS:
        return None
    return DigestPeriod(
        first=first,
        last=send_on - timedelta(days=1),
        send_on=send_on,
        key=f"stakeholder:{stakeholder.uid}:{key}",
    )


# ---- What happened on a mission in a period ----


def _metrics_with_reading_before(day: date) -> QuerySet[Metric]:
    """Metrics, each annotated with its latest reading before `day`: what its status was."""
    before = CheckIn.objects.filter(
        metric=OuterRef("pk"), is_current=True, for_date__lt=day
    ).order_by("-for_date", "-created_at")
    return (
        Metric.objects.select_related("owner")
        .annotate(
            value_before=Subquery(before.values("value")[:1]),
            confidence_before=Subquery(before.values("confidence")[:1]),
        )
        .order_by("position", "id")
    )


def _with_progress(missions: QuerySet[Mission], period: DigestPeriod) -> list[Mission]:
    metrics = _metrics_with_reading_before(period.first)
    return list(
        missions.select_related("organisation", "owner")
        .prefetch_related(
            Prefetch("goals", queryset=Goal.objects.prefetch_related(Prefetch("metrics", metrics))),
            Prefetch("metrics", queryset=metrics.filter(goal__isnull=True), to_attr="loose"),
        )
        .order_by("title")
    )


def _as_before(metric: Metric) -> Metric:
    then = copy(metric)
    then.latest_value = metric.value_before  # type: ignore[attr-defined]
    then.latest_confidence = metric.confidence_before or ""  # type: ignore[attr-defined]
    then.progress = metric_progress(then)
    return then


def _status_before(mission: Mission, on: date) -> Status:
    """The mission's status on `on`, from each metric's latest reading before then: its
    figures rolled up as metrics.figures rolls up the stored ones."""
    goals = [
        (
            rolled_up((metric_figures(_as_before(m)), m.weight) for m in goal.metrics.all()),
            goal.weight,
        )
        for goal in mission.goals.all()
    ]
    loose = [(metric_figures(_as_before(m)), m.weight) for m in mission.loose]  # type: ignore[attr-defined]
    return figures_of(mission_figures(goals, loose), on).status


@dataclass(frozen=True, slots=True)
class MetricLine:
    name: str
    latest: str
    target: str


@dataclass(frozen=True, slots=True)
class CheckInLine:
    value: str
    for_date: date
    author: str


@dataclass(frozen=True, slots=True)
class MetricMove:
    """A metric with readings in the period: where it stands now, how far it moved since
    the reading before the period (what the last digest said), and the period's readings
    in date order."""

    name: str
    latest: str
    change: str  # "+2.5 t", "-3 pts"; blank when there was no reading before
    better: bool | None  # whether that way is good for the metric; None if unchanged
    readings: list[CheckInLine]

    @property
    def change_said(self) -> str:
        """ "+6, better": the change, and whether it is the way the metric should go."""
        if self.better is None:
            return self.change
        return f"{self.change}, {'better' if self.better else 'worse'}"

    @property
    def readings_said(self) -> str:
        """The period's readings on one line, in date order ("2 Mar: 22 by Sam, 4 Mar:
        24 by Ali"); a single one that is the latest value, by its date alone. A line,
        not a row each: a batch's emails carry hundreds of them."""
        if len(self.readings) == 1 and self.readings[0].value == self.latest:
            (only,) = self.readings
            return dates.day_month(only.for_date) + (f" by {only.author}" if only.author else "")
        return ", ".join(
            f"{dates.day_month(r.for_date)}: {r.value}" + (f" by {r.author}" if r.author else "")
            for r in self.readings
        )


def _change(metric: Metric, before: Decimal | None) -> tuple[str, bool | None]:
    """The move from `before` to the latest value, in the metric's own terms, and whether
    it is a move the metric wants (down is good for one that should decrease)."""
    latest = metric.latest_value
    if before is None or latest is None or metric.format == MetricFormat.YES_NO:
        return "", None
    delta = latest - before
    if not delta:
        return "no change", None
    sign = "+" if delta > 0 else "-"
    if metric.format == MetricFormat.PERCENTAGE:
        size = f"{numbers.readable(abs(delta))} pts"
    else:
        size = metric.format_value(abs(delta))
    wants_up = metric.direction in (Direction.INCREASE, Direction.STAY_ABOVE)
    return f"{sign}{size}", (delta > 0) == wants_up


@dataclass(frozen=True, slots=True)
class GoalLine:
    title: str
    rollup: Rollup
    metrics: list[MetricLine]


@dataclass
class MissionNews:
    """A mission in a digest: how it stands, and what changed in the period."""

    mission: Mission
    progress: MissionProgress
    status_before: Status
    today: date
    moved: list[MetricMove] = field(default_factory=list)
    checkin_count: int = 0
    ideas: list[Idea] = field(default_factory=list)
    milestones_done: list[Milestone] = field(default_factory=list)
    # Not done yet: overdue, or due within MILESTONES_AHEAD_DAYS, soonest first.
    milestones_ahead: list[Milestone] = field(default_factory=list)
    commitments_slipping: list[StakeholderLink] = field(default_factory=list)
    commitment: StakeholderLink | None = None
    include_late: bool = True
    # Stakeholders see outcomes and outputs, as on share pages; inputs are the team's own.
    include_inputs: bool = True

    @property
    def status(self) -> Status:
        return self.progress.rollup.status

    @property
    def status_changed(self) -> bool:
        return Status.NO_DATA not in (self.status, self.status_before) and (
            self.status != self.status_before
        )

    # Cached: each digest of a batch asks whether the mission has news, and the template
    # reads them more than once. Set include_late before reading them.
    @cached_property
    def late(self) -> list[Metric]:
        if not self.include_late:
            return []
        # A metric whose due date is not stored yet is due as Metric.next_due_date says.
        return [
            row.metric
            for row in self.progress.metrics
            if (row.metric.next_due_on or row.metric.next_due_date()) < self.today
        ]

    @cached_property
    def milestones_overdue(self) -> list[Milestone]:
        return [m for m in self.milestones_ahead if m.due_on < self.today]

    @property
    def overdue_count(self) -> int:
        return len(self.late) + len(self.milestones_overdue)

    @cached_property
    def milestones_coming(self) -> list[Milestone]:
        return [m for m in self.milestones_ahead if m.due_on >= self.today]

    @property
    def has_news(self) -> bool:
        return bool(
            self.status_changed
            or self.moved
            or self.checkin_count
            or self.late
            or self.ideas
            or self.milestones_done
            or self.milestones_overdue
            or self.commitments_slipping
        )

    @property
    def goals(self) -> list[GoalLine]:
        return [
            GoalLine(
                row.goal.title,
                row.rollup,
                [
                    MetricLine(
                        m.metric.name,
                        m.metric.format_value(m.metric.latest_value),
                        m.metric.format_value(m.metric.target_value),
                    )
                    for m in row.metrics
                    if self.include_inputs or m.metric.kind in PUBLIC_METRIC_KINDS
                ],
            )
            for row in self.progress.goals
        ]

    @property
    def url(self) -> str:
        return settings.SITE_URL + self.mission.get_absolute_url()

    # Rendered once however many members' digests the mission is in: a batch shares its
    # MissionNews, and every member of it reads the same news of the mission.
    @cached_property
    def html(self) -> str:
        return render_to_string("emails/_digest_mission.html", {"news": self})

    @cached_property
    def text(self) -> str:
        return render_to_string("emails/_digest_mission.txt", {"news": self})


def _news(missions: list[Mission], period: DigestPeriod, today: date) -> list[MissionNews]:
    return [
        MissionNews(
            mission=mission,
            progress=mission_progress(mission, mission.goals.all(), mission.loose, today),  # type: ignore[attr-defined]
            status_before=_status_before(mission, period.first),
            today=today,
        )
        for mission in missions
    ]


def _by_mission[T](rows: Iterable[T], mission_of: Callable[[T], int]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = defaultdict(list)
    for row in rows:
        grouped[mission_of(row)].append(row)
    return grouped


# ---- A member's weekly digest ----


@dataclass
class MemberDigest:
    membership: Membership
    period: DigestPeriod
    news: list[MissionNews]

    @property
    def missions(self) -> list[MissionNews]:
        """The missions with something to say, most in need of attention first."""
        return [n for n in self.news if n.has_news]

    @property
    def quiet(self) -> list[Mission]:
        return [n.mission for n in self.news if not n.has_news]

    @property
    def worth_sending(self) -> bool:
        return any(n.has_news for n in self.news)

    @property
    def claim(self) -> Claim:
        return Claim(EmailKind.DIGEST, self.membership.user.email.lower(), self.period.key)


def missions_by_member(memberships: Sequence[Membership]) -> dict[int, list[int]]:
    """The active missions each person is part of, by membership: they own it, own one
    of its goals or metrics, or are in a team aligned to it; admins with none of those
    get them all. Private missions only for admins and their owner. Five queries for
    each organisation, however many people."""
    found: dict[int, list[int]] = {}
    by_organisation: dict[int, list[Membership]] = defaultdict(list)
    for membership in memberships:
        by_organisation[membership.organisation_id].append(membership)
    for organisation_id, members in by_organisation.items():
        user_ids = [membership.user_id for membership in members]
        live = Mission.objects.filter(
            organisation_id=organisation_id, status=MissionStatus.ACTIVE
        ).live()
        involved: dict[int, set[int]] = defaultdict(set)
        for rows in (
            live.filter(owner_id__in=user_ids).values_list("owner_id", "pk"),
            Goal.objects.filter(mission__in=live, owner_id__in=user_ids).values_list(
                "owner_id", "mission_id"
            ),
            Metric.objects.filter(mission__in=live, owner_id__in=user_ids).values_list(
                "owner_id", "mission_id"
            ),
            Alignment.objects.filter(
                mission__in=live, team__team_members__user_id__in=user_ids
            ).values_list("team__team_members__user_id", "mission_id"),
        ):
            for user_id, mission_id in rows:
                involved[user_id].add(mission_id)
        missions = list(live.order_by("pk").values_list("pk", "visibility", "owner_id"))
        for membership in members:
            manages, user_id = membership.can_manage, membership.user_id
            visible = [
                pk
                for pk, visibility, owner_id in missions
                if manages or visibility != Visibility.PRIVATE or owner_id == user_id
            ]
            theirs = [pk for pk in visible if pk in involved[user_id]]
            found[membership.pk] = visible if manages and not theirs else theirs
    return found


CHECKIN_LINE = ("value", "for_date", "metric__mission_id", "author__name", "author__email")
# How far ahead a member's digest looks for milestones coming up.
MILESTONES_AHEAD_DAYS = 30


def _moves(news: MissionNews, checkins: list[CheckIn]) -> list[MetricMove]:
    """The mission's metrics that have readings in the period, in the mission's order,
    each with its readings in date order (`checkins` comes sorted by date)."""
    readings: dict[int, list[CheckIn]] = defaultdict(list)
    for checkin in checkins:
        readings[checkin.metric_id].append(checkin)
    moves = []
    for row in news.progress.metrics:
        metric = row.metric
        if metric.pk not in readings:
            continue
        change, better = _change(metric, metric.value_before)  # type: ignore[attr-defined]
        moves.append(
            MetricMove(
                metric.name,
                metric.format_value(metric.latest_value),
                change,
                better,
                [
                    CheckInLine(
                        metric.format_value(checkin.value),
                        checkin.for_date,
                        checkin.author.display_name if checkin.author else "",
                    )
                    for checkin in readings[metric.pk]
                ],
            )
        )
    return moves


def _member_news(
    mission_ids: Iterable[int], period: DigestPeriod, zone: ZoneInfo, today: date
) -> dict[int, MissionNews]:
    """What happened on these missions in the period, and how they stand now: the same
    for every member whose digest covers them and whose day it is."""
    missions = _with_progress(Mission.objects.filter(pk__in=mission_ids), period)
    news = _news(missions, period, today)
    ids = [mission.pk for mission in missions]
    start, end = period.bounds(zone)
    checkins = _by_mission(
        CheckIn.objects.filter(
            metric__mission__in=ids, is_current=True, created_at__gte=start, created_at__lt=end
        )
        .select_related("metric", "author")
        # What a digest says of each: a week's check-ins are most of what a batch reads.
        .only(*CHECKIN_LINE)
        .order_by("for_date", "created_at"),
        lambda checkin: checkin.metric.mission_id,
    )
    ideas = _by_mission(
        Idea.objects.filter(mission__in=ids, created_at__gte=start, created_at__lt=end)
        .select_related("author")
        .order_by("created_at"),
        lambda idea: idea.mission_id,
    )
    milestones = _by_mission(
        Milestone.objects.filter(
            mission__in=ids,
            done_on__isnull=True,
            due_on__lte=today + timedelta(days=MILESTONES_AHEAD_DAYS),
        ).order_by("due_on", "position"),
        lambda milestone: milestone.mission_id,
    )
    slipping = _by_mission(
        StakeholderLink.objects.filter(
            mission__in=ids, commitment_met_on__isnull=True, commitment_due_on__lt=today
        )
        .exclude(commitment="")
        .select_related("stakeholder")
        .order_by("commitment_due_on"),
        lambda link: link.mission_id,
    )
    for item in news:
        item.moved = _moves(item, checkins[item.mission.pk])
        item.ideas = ideas[item.mission.pk]
        item.milestones_ahead = milestones[item.mission.pk]
        item.commitments_slipping = slipping[item.mission.pk]
    return {item.mission.pk: item for item in news}


def _digest_of(
    membership: Membership,
    period: DigestPeriod,
    news: dict[int, MissionNews],
    mission_ids: list[int],
) -> MemberDigest:
    theirs = [news[pk] for pk in mission_ids if pk in news]
    theirs.sort(key=_attention_first)
    return MemberDigest(membership, period, theirs)


def member_digest(
    membership: Membership, period: DigestPeriod, now: datetime | None = None
) -> MemberDigest:
    """What happened on this person's missions in the period, and how they stand now."""
    zone = membership.user.zone_in(membership.organisation)
    today = timezone.localdate(now or timezone.now(), zone)
    mission_ids = missions_by_member([membership])[membership.pk]
    return _digest_of(
        membership, period, _member_news(mission_ids, period, zone, today), mission_ids
    )


def _attention_first(news: MissionNews) -> tuple[int, str]:
    order = {Status.OFF_TRACK: 0, Status.AT_RISK: 1, Status.ON_TRACK: 2, Status.NO_DATA: 3}
    return order[news.status], news.mission.title.lower()


def member_digest_email(digest: MemberDigest, *, preview: bool = False) -> EmailMultiAlternatives:
    """The digest as it is sent. A preview, shown to an admin, carries no working
    unsubscribe link: that would let the admin unsubscribe the member."""
    membership, period = digest.membership, digest.period
    organisation = membership.organisation
    return organisation_email(
        organisation,
        to=membership.user.email,
        subject=f"your missions’ week, {period.label}",
        template="digest",
        context={"digest": digest, "recipient": membership.user, "period": period},
        unsubscribe_url="#preview" if preview else unsubscribe_url(Topic.DIGEST, membership),
    )


def member_digests_due(
    now: datetime, organisation_id: int | None = None
) -> list[tuple[Membership, DigestPeriod]]:
    """Members whose digest is due now and not yet sent (or skipped); of one
    organisation, or of all."""
    due = []
    memberships = Membership.objects.filter(
        user__is_active=True, user__receive_digest=True
    ).select_related("user", "organisation")
    if organisation_id is not None:
        memberships = memberships.filter(organisation_id=organisation_id)
    for membership in memberships.iterator(chunk_size=1000):
        period = member_digest_period(membership, now)
        if period is not None:
            due.append((membership, period))
    settled = deliveries_settled([_member_claim(m, p) for m, p in due])
    return [(m, p) for m, p in due if _member_claim(m, p) not in settled]


def _member_claim(membership: Membership, period: DigestPeriod) -> Claim:
    return Claim(EmailKind.DIGEST, membership.user.email.lower(), period.key)


def member_digest_send(membership_id: int, now: datetime | None = None) -> bool:
    """Send this member's digest for the current period, once. Safe to run twice."""
    return member_digests_send([membership_id], now) == 1


def member_digests_send(membership_ids: Sequence[int], now: datetime | None = None) -> int:
    """Send these members' digests for the current period, each once, over one connection
    to the mail server. Returns how many were sent. Safe to run twice.

    A mission's news is read and rendered once for everyone whose digest it is in, and the
    emails are claimed and recorded sent in chunks (core.deliveries.claimed_sends), so a batch
    costs a fixed number of queries and renders, plus two queries a chunk.
    """
    now = now or timezone.now()
    memberships = Membership.objects.select_related("user", "organisation").filter(
        pk__in=membership_ids, user__is_active=True, user__receive_digest=True
    )
    due = [(m, period) for m in memberships if (period := member_digest_period(m, now))]
    settled = deliveries_settled([_member_claim(m, period) for m, period in due])
    due = [(m, period) for m, period in due if _member_claim(m, period) not in settled]
    if not due:
        return 0
    mission_ids = missions_by_member([membership for membership, _ in due])
    # Members of an organisation see the same news on a mission when they share its week
    # and their day (their time zones, digest days or hours may differ).
    groups: dict[tuple[int, DigestPeriod, ZoneInfo, date], set[int]] = defaultdict(set)
    keys = []
    for membership, period in due:
        zone = membership.user.zone_in(membership.organisation)
        key = (membership.organisation_id, period, zone, timezone.localdate(now, zone))
        groups[key].update(mission_ids[membership.pk])
        keys.append(key)
    news = {key: _member_news(ids, key[1], key[2], key[3]) for key, ids in groups.items()}
    return _send_or_skip(
        (
            membership.organisation_id,
            _member_claim(membership, period),
            _digest_of(membership, period, news[key], mission_ids[membership.pk]),
            member_digest_email,
        )
        for (membership, period), key in zip(due, keys, strict=True)
    )


def _send_or_skip[D: MemberDigest | StakeholderDigest](
    digests: Iterable[tuple[int, Claim, D, Callable[[D], EmailMultiAlternatives]]],
) -> int:
    """Send the digests worth sending over one connection, in claimed chunks, and record
    the rest as skipped. Returns how many were sent."""
    outgoing, quiet = [], []
    for organisation_id, claim, digest, email in digests:
        if digest.worth_sending:
            outgoing.append(Outgoing(organisation_id, claim, partial(email, digest)))
        else:
            quiet.append((organisation_id, claim))
    deliveries_skip(quiet)
    return claimed_sends(outgoing, mailers.default)


# ---- A stakeholder's digest ----


@dataclass
class StakeholderDigest:
    stakeholder: Stakeholder
    period: DigestPeriod
    news: list[MissionNews]

    @property
    def missions(self) -> list[MissionNews]:
        return self.news

    @property
    def worth_sending(self) -> bool:
        return any(n.has_news for n in self.news)


def _shareable(organisation_id: int) -> QuerySet[Mission]:
    return Mission.objects.filter(
        organisation_id=organisation_id,
        visibility=Visibility.SHAREABLE,
        status__in=[MissionStatus.ACTIVE, MissionStatus.ACHIEVED],
        archived_at__isnull=True,
    )


def stakeholder_digest(
    stakeholder: Stakeholder, period: DigestPeriod, now: datetime | None = None
) -> StakeholderDigest:
    """Only what is shareable: each mission's public fields, progress and status, how
    many check-ins were recorded (never their notes or authors), milestones reached,
    and the stakeholder's own commitment."""
    return stakeholders_digests([(stakeholder, period)], now)[stakeholder.pk]


def stakeholders_digests(
    due: Sequence[tuple[Stakeholder, DigestPeriod]], now: datetime | None = None
) -> dict[int, StakeholderDigest]:
    """Stakeholders' digests (see stakeholder_digest), by stakeholder: a mission is read
    once for everyone in the organisation following it over the same period, in a fixed
    number of queries however many stakeholders and missions."""
    now = now or timezone.now()
    # Each stakeholder's period has a key of their own; what it covers is shared.
    groups: dict[tuple[int, date, date], list[tuple[Stakeholder, DigestPeriod]]] = defaultdict(list)
    for stakeholder, period in due:
        groups[(stakeholder.organisation_id, period.first, period.last)].append(
            (stakeholder, period)
        )
    found = {}
    for (organisation_id, _, _), group in groups.items():
        stakeholders = [stakeholder for stakeholder, _ in group]
        period = group[0][1]
        zone = stakeholders[0].organisation.zone()
        today = timezone.localdate(now, zone)
        links: dict[int, dict[int, StakeholderLink]] = defaultdict(dict)
        for link in StakeholderLink.objects.filter(
            stakeholder__in=stakeholders, mission__in=_shareable(organisation_id)
        ):
            links[link.stakeholder_id][link.mission_id] = link
        ids = {mission_id for theirs in links.values() for mission_id in theirs}
        missions = _with_progress(Mission.objects.filter(pk__in=ids), period)
        news = _news(missions, period, today)
        start, end = period.bounds(zone)
        counts = dict(
            CheckIn.objects.filter(
                metric__mission__in=ids,
                is_current=True,
                created_at__gte=start,
                created_at__lt=end,
            )
            .values_list("metric__mission_id")
            .annotate(n=Count("pk"))
            .values_list("metric__mission_id", "n")
        )
        done = _by_mission(
            Milestone.objects.filter(
                mission__in=ids, done_on__gte=period.first, done_on__lte=period.last
            ).order_by("done_on"),
            lambda milestone: milestone.mission_id,
        )
        for item in news:
            item.include_late = False  # late check-ins are the team's business
            item.include_inputs = False
            item.checkin_count = counts.get(item.mission.pk, 0)
            item.milestones_done = done[item.mission.pk]
        for stakeholder, their_period in group:
            theirs = links[stakeholder.pk]
            found[stakeholder.pk] = StakeholderDigest(
                stakeholder,
                their_period,
                [
                    replace(item, commitment=theirs[item.mission.pk])
                    for item in news
                    if item.mission.pk in theirs
                ],
            )
    return found


def _stakeholder_claim(stakeholder: Stakeholder, period: DigestPeriod) -> Claim:
    return Claim(EmailKind.STAKEHOLDER_DIGEST, stakeholder.email.lower(), period.key)


def stakeholder_digest_email(digest: StakeholderDigest) -> EmailMultiAlternatives:
    stakeholder, period = digest.stakeholder, digest.period
    how_often = "monthly" if stakeholder.digest_frequency == DigestFrequency.MONTHLY else "weekly"
    return organisation_email(
        stakeholder.organisation,
        to=stakeholder.email,
        subject=f"{how_often} progress update, {period.label}",
        template="stakeholder_digest",
        context={"digest": digest, "stakeholder": stakeholder, "period": period},
        unsubscribe_url=unsubscribe_url(Topic.STAKEHOLDER_DIGEST, stakeholder),
    )


def _subscribed_stakeholders() -> QuerySet[Stakeholder]:
    return (
        # Consent recorded by the organisation and confirmed by the stakeholder by email.
        Stakeholder.objects.filter(consent_to_email=True, email_confirmed_at__isnull=False)
        .exclude(email="")
        .exclude(digest_frequency=DigestFrequency.NONE)
        .select_related("organisation")
    )


def stakeholder_digests_due(
    now: datetime, organisation_id: int | None = None
) -> list[tuple[Stakeholder, DigestPeriod]]:
    due = []
    stakeholders = _subscribed_stakeholders()
    if organisation_id is not None:
        stakeholders = stakeholders.filter(organisation_id=organisation_id)
    for stakeholder in stakeholders.iterator(chunk_size=1000):
        period = stakeholder_digest_period(stakeholder, now)
        if period is not None:
            due.append((stakeholder, period))
    settled = deliveries_settled([_stakeholder_claim(s, p) for s, p in due])
    return [(s, p) for s, p in due if _stakeholder_claim(s, p) not in settled]


def stakeholder_digest_send(stakeholder_id: int, now: datetime | None = None) -> bool:
    """Send this stakeholder's digest for the current period, once. Safe to run twice."""
    return stakeholder_digests_send([stakeholder_id], now) == 1


def stakeholder_digests_send(stakeholder_ids: Sequence[int], now: datetime | None = None) -> int:
    """Send these stakeholders' digests for the current period, each once, over one
    connection to the mail server. Returns how many were sent. Safe to run twice.

    A mission's news is read once for everyone in the batch following it; each
    stakeholder's own links and commitments pick what their digest says.
    """
    now = now or timezone.now()
    # Consent withdrawn, unsubscribed or gone since the sweep: not among these.
    stakeholders = _subscribed_stakeholders().filter(pk__in=stakeholder_ids)
    due = [(s, period) for s in stakeholders if (period := stakeholder_digest_period(s, now))]
    settled = deliveries_settled([_stakeholder_claim(s, period) for s, period in due])
    due = [(s, period) for s, period in due if _stakeholder_claim(s, period) not in settled]
    if not due:
        return 0
    digests = stakeholders_digests(due, now)
    return _send_or_skip(
        (
            stakeholder.organisation_id,
            _stakeholder_claim(stakeholder, period),
            digests[stakeholder.pk],
            stakeholder_digest_email,
        )
        for stakeholder, period in due
    )
