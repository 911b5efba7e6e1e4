"""Check-in reminders: which are due now, and sending each one once.

A metric's next due date lives on its row (metrics.services moves it on with every
check-in, so a reminder for a check-in already made is never due). A sweep selects the
metrics whose due date puts them at a step of the schedule, with indexed date ranges,
works out each recipient's own day and hour, and leaves out what EmailDelivery says has
gone already. The owner hears before the due date, on it, and on a backing-off schedule
while it is late; once it is a whole cadence late the mission's owner is told as well.
"""

import logging
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial, reduce
from operator import or_
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.deliveries import Claim, OutgoingParts, claimed_sends, deliveries_settled, sending_day
from metrics.checkin_links import quick_checkin_url
from metrics.models import CADENCE_DAYS, Cadence, Metric
from metrics.progress import Status
from metrics.rollups import figures_of
from missions.models import MissionStatus
from orgs import policy
from orgs.emails import organisation_email
from orgs.models import EmailKind, Membership, Organisation, User
from orgs.unsubscribe import Topic, unsubscribe_url

logger = logging.getLogger(__name__)

# How many days before the due date the heads-up comes.
HEADS_UP_DAYS = {
    Cadence.WEEKLY: 2,
    Cadence.FORTNIGHTLY: 3,
    Cadence.MONTHLY: 5,
    Cadence.QUARTERLY: 7,
}
# Days late on which the owner is reminded again: often at first, then monthly for a
# year, then never (a metric a year late needs a conversation, not an email). The
# cadence's own length is a step too: that is when the mission owner is first told.
LATE_DAYS = (1, 3, 7, 14, *range(30, 361, 30))
# A sweep that missed a step (everything was down) still sends it this many days late;
# after that it waits for the next step rather than sending a stale reminder.
CATCH_UP_DAYS = 2
# Local dates differ from UTC's by up to a day either way (UTC-12 to UTC+14), and a
# recipient's sending day is the day before until their hour.
ZONE_SLACK_BEFORE, ZONE_SLACK_AFTER = 2, 1


@dataclass(frozen=True, slots=True)
class Step:
    """A point of the schedule, `starts` days after the due date (before, if negative)."""

    key: str
    starts: int


LATE_STEPS = {cadence: sorted({*LATE_DAYS, CADENCE_DAYS[cadence]}) for cadence in Cadence}


def late_steps(cadence: str) -> list[int]:
    return LATE_STEPS[Cadence(cadence)]


def step_on(cadence: str, due_on: date, day: date) -> Step | None:
    """The step of the schedule `day` falls in for a check-in due on `due_on`, if any."""
    return step_after(cadence, (day - due_on).days)


def step_after(cadence: str, days: int) -> Step | None:
    """The step of the schedule `days` days after the due date (before, if negative)."""
    heads_up = HEADS_UP_DAYS[Cadence(cadence)]
    if days < -heads_up:
        return None
    if days < 0:
        return Step("ahead", -heads_up)
    if days == 0:
        return Step("due", 0)
    steps = late_steps(cadence)
    late = steps[bisect_right(steps, days) - 1]  # the last step on or before today
    return Step(f"late-{late}", late)


def _step_offsets() -> set[int]:
    offsets = {0, *(-days for days in HEADS_UP_DAYS.values())}
    for cadence in Cadence:
        offsets.update(late_steps(cadence))
    return offsets


def due_date_windows(today_utc: date) -> list[tuple[date, date]]:
    """Ranges of due dates that can put a metric at the start of a step today, anywhere.

    Everything else is between steps (or done), so a sweep reads a few days' worth of
    metrics per step through the next_due_on index, not every late metric.
    """
    ranges = sorted(
        (
            today_utc - timedelta(days=offset + CATCH_UP_DAYS + ZONE_SLACK_BEFORE),
            today_utc - timedelta(days=offset - ZONE_SLACK_AFTER),
        )
        for offset in _step_offsets()
    )
    merged: list[tuple[date, date]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True, slots=True)
class Reminder:
    """One metric to mention in one recipient's reminder email."""

    kind: EmailKind  # a reminder to the metric's owner, or an escalation to the mission's
    metric: Metric
    recipient: User
    organisation: Organisation
    step: Step
    day: date  # the recipient's day it is for
    days_late: int  # negative before the due date

    @property
    def due_on(self) -> date:
        assert self.metric.next_due_on is not None
        return self.metric.next_due_on

    @property
    def claim(self) -> Claim:
        return reminder_claim(self.kind, self.recipient, self.metric.uid, self.due_on, self.step)

    @property
    def when(self) -> str:
        """When it is due, in words: "due on Friday 6 March", "due today", "3 days late"."""
        if self.days_late < 0:
            return f"due on {self.due_on:%A} {self.due_on.day} {self.due_on:%B}"
        if self.days_late == 0:
            return "due today"
        return f"{self.days_late} day{'s' if self.days_late != 1 else ''} late"

    @property
    def is_late(self) -> bool:
        return self.days_late > 0

    @property
    def check_in_url(self) -> str:
        """The signed link that opens this metric's check-in, prefilled, for this recipient
        alone: one tap when they are logged in, their password alone when not."""
        return quick_checkin_url(self.metric, self.recipient)

    @property
    def metric_url(self) -> str:
        mission = self.metric.mission
        return settings.SITE_URL + reverse(
            "metrics:detail", args=[self.organisation.slug, mission.slug, self.metric.uid]
        )

    @property
    def last_value(self) -> str:
        return self.metric.format_value(self.metric.latest_value)

    @property
    def target(self) -> str:
        return self.metric.format_value(self.metric.target_value)

    @property
    def progress(self) -> float | None:
        return self.metric.progress

    @property
    def status(self) -> Status:
        return figures_of(self.metric, self.day).status


def _fill_missing_due_dates() -> None:
    """Give metrics nobody has checked in on their first due date, so the index finds
    them. Conditional, so a check-in recorded meanwhile wins."""
    by_date: dict[date, list[int]] = defaultdict(list)
    missing = Metric.objects.filter(next_due_on__isnull=True).only(
        "pk", "latest_on", "first_due_on", "created_at", "cadence"
    )
    for metric in missing.iterator():
        by_date[metric.next_due_date()].append(metric.pk)
    for due, pks in by_date.items():
        for start in range(0, len(pks), 500):
            Metric.objects.filter(pk__in=pks[start : start + 500], next_due_on__isnull=True).update(
                next_due_on=due
            )


def _membership_of(user_field: str) -> FilteredRelation:
    """That person's membership of the metric's organisation, joined to the metric's row
    (a LEFT JOIN on the one membership per person and organisation). As EXISTS subqueries
    for each row, these made PostgreSQL plan the sweep as costly enough to compile (JIT),
    which took most of a second, longer than running it."""
    return FilteredRelation(
        "mission__organisation__memberships",
        condition=Q(mission__organisation__memberships__user_id=F(user_field)),
    )


class _Reader(NamedTuple):
    """A person as the policy reads them, from the sweep's row."""

    role: str
    user_id: int


class _Mission(NamedTuple):
    visibility: str
    owner_id: int | None


class _Metric(NamedTuple):
    owner_id: int | None


def _may_check_in(
    role: str | None, user_id: int | None, metric_owner_id: int | None, mission: _Mission
) -> bool:
    """Whether this person may check in on the metric and see its mission: a private
    mission's name must not reach anyone else's inbox."""
    if role is None or user_id is None:
        return False
    reader = _Reader(role, user_id)
    return policy.can_see_mission(reader, mission) and policy.can_check_in(
        reader, _Metric(metric_owner_id), mission
    )


_PERSON = ("email", "is_active", "receive_reminders", "time_zone", "reminder_hour")
# What deciding reads of each metric: a tuple per metric, in one pass, because a sweep
# judges every metric of every organisation and needs only these columns of each.
_DECIDING = (
    "pk",
    "uid",
    "cadence",
    "next_due_on",
    "created_at",
    "owner_id",
    "mission__owner_id",
    "mission__organisation_id",
    "mission__visibility",
    "owner_membership__role",
    "mission_owner_membership__role",
)


@dataclass(frozen=True, slots=True)
class _Decision:
    """A reminder the schedule says is due, before its metric is read in full."""

    kind: EmailKind
    metric_id: int
    recipient: User
    organisation: Organisation
    step: Step
    day: date
    days_late: int
    claim: Claim


def _candidates(
    now: datetime, user_ids: Collection[int] | None, organisation_ids: Collection[int] | None
) -> QuerySet[Metric]:
    today_utc = now.astimezone(UTC).date()
    windows = reduce(
        or_,
        (Q(next_due_on__range=window) for window in due_date_windows(today_utc)),
    )
    metrics = (
        Metric.objects.filter(
            windows, mission__status=MissionStatus.ACTIVE, mission__archived_at__isnull=True
        )
        .filter(Q(owner__isnull=False) | Q(mission__owner__isnull=False))
        .annotate(
            owner_membership=_membership_of("owner_id"),
            mission_owner_membership=_membership_of("mission__owner_id"),
        )
        .order_by("next_due_on", "pk")
    )
    if user_ids is not None:
        metrics = metrics.filter(Q(owner_id__in=user_ids) | Q(mission__owner_id__in=user_ids))
    if organisation_ids is not None:
        metrics = metrics.filter(mission__organisation_id__in=organisation_ids)
    return metrics


def _wants_reminders(user: User | None, can_check_in: bool) -> bool:
    return user is not None and user.is_active and user.receive_reminders and can_check_in


def reminder_claim(
    kind: str, recipient: User, metric_uid: object, due_on: date, step: Step
) -> Claim:
    return Claim(kind, recipient.email.lower(), f"{metric_uid}:{due_on.isoformat()}:{step.key}")


class _Schedule:
    """The schedule's answers for one sweep, each worked out once: a sweep asks the same
    few questions (this person's day, that many days from the due date on this cadence)
    for thousands of metrics."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._days: dict[tuple[int, int], tuple[ZoneInfo, date]] = {}
        self._steps: dict[tuple[str, int], Step | None] = {}

    def day(self, recipient: User, organisation: Organisation) -> tuple[ZoneInfo, date]:
        """The recipient's zone, and their day a reminder sent now counts for."""
        key = (recipient.pk, organisation.pk)
        if key not in self._days:
            zone = recipient.zone_in(organisation)
            self._days[key] = (zone, sending_day(self.now, zone, recipient.reminder_hour))
        return self._days[key]

    def step(self, cadence: str, days_late: int) -> Step | None:
        key = (cadence, days_late)
        if key not in self._steps:
            self._steps[key] = step_after(cadence, days_late)
        return self._steps[key]

    def decide(
        self, kind: EmailKind, row: tuple, recipient: User, organisation: Organisation
    ) -> _Decision | None:
        metric_id, uid, cadence, due_on, created_at = row[:5]
        zone, day = self.day(recipient, organisation)
        days_late = (day - due_on).days
        step = self.step(cadence, days_late)
        if step is None or days_late - step.starts > CATCH_UP_DAYS:
            return None
        if kind == EmailKind.ESCALATION:
            # A whole cadence late, and the owner has had the metric that long.
            cadence_days = CADENCE_DAYS[Cadence(cadence)]
            if days_late < cadence_days:
                return None
            if (day - created_at.astimezone(zone).date()).days < cadence_days:
                return None
        claim = reminder_claim(kind, recipient, uid, due_on, step)
        return _Decision(kind, metric_id, recipient, organisation, step, day, days_late, claim)


def _decisions(
    now: datetime,
    user_ids: Collection[int] | None = None,
    organisation_ids: Collection[int] | None = None,
) -> list[_Decision]:
    """What the schedule says should be sent now (to these people, if given), sent already
    or not: a pass over one row per candidate metric, with each person and organisation
    read once."""
    rows = list(_candidates(now, user_ids, organisation_ids).values_list(*_DECIDING))
    people = User.objects.only(*_PERSON).in_bulk({r[i] for r in rows for i in (5, 6)} - {None})
    organisations = Organisation.objects.only("name", "slug", "time_zone").in_bulk(
        {row[7] for row in rows}
    )
    schedule = _Schedule(now)
    found = []
    for row in rows:
        owner, mission_owner = people.get(row[5]), people.get(row[6])
        organisation = organisations[row[7]]
        mission = _Mission(visibility=row[8], owner_id=row[6])
        owner_can = _may_check_in(row[9], row[5], row[5], mission)
        mission_owner_can = _may_check_in(row[10], row[6], row[5], mission)
        # A metric nobody owns is its mission owner's to check in on.
        reminded = owner or mission_owner
        if _wants_reminders(reminded, owner_can if owner else mission_owner_can):
            assert reminded is not None
            reminder = schedule.decide(EmailKind.REMINDER, row, reminded, organisation)
            if reminder:
                found.append(reminder)
        escalate = owner is not None and mission_owner is not None and owner != mission_owner
        if escalate and _wants_reminders(mission_owner, mission_owner_can):
            assert mission_owner is not None
            escalation = schedule.decide(EmailKind.ESCALATION, row, mission_owner, organisation)
            if escalation:
                found.append(escalation)
    if user_ids is not None:
        found = [decision for decision in found if decision.recipient.pk in user_ids]
    return found


def due_reminders(
    now: datetime,
    *,
    user_id: int | None = None,
    organisation_id: int | None = None,
    user_ids: Collection[int] | None = None,
) -> list[Reminder]:
    """What the schedule says should be sent now (to this person or these people, if
    given), sent already or not, with each metric read in full (what an email says of it)."""
    if user_id is not None:
        user_ids = {user_id}
    decisions = _decisions(now, user_ids, None if organisation_id is None else [organisation_id])
    metrics = Metric.objects.select_related(
        "owner", "mission__owner", "mission__organisation"
    ).in_bulk({decision.metric_id for decision in decisions})
    found = []
    for decision in decisions:
        metric = metrics.get(decision.metric_id)
        if metric is None:
            continue  # deleted since
        recipient = metric.owner if metric.owner_id == decision.recipient.pk else None
        recipient = recipient or metric.mission.owner
        assert recipient is not None and recipient.pk == decision.recipient.pk
        found.append(
            Reminder(
                decision.kind,
                metric,
                recipient,
                metric.mission.organisation,
                decision.step,
                decision.day,
                decision.days_late,
            )
        )
    return found


def pending_reminders(
    now: datetime,
    *,
    user_id: int | None = None,
    organisation_id: int | None = None,
    user_ids: Collection[int] | None = None,
) -> list[Reminder]:
    """Due now and not yet sent (nor being sent)."""
    due = due_reminders(now, user_id=user_id, organisation_id=organisation_id, user_ids=user_ids)
    claims = [reminder.claim for reminder in due]
    settled = deliveries_settled(claims)
    return [reminder for reminder, claim in zip(due, claims, strict=True) if claim not in settled]


def reminder_batches(
    now: datetime, organisation_ids: Collection[int] | None = None
) -> dict[tuple[int, int], list[Claim]]:
    """The pending reminders grouped into emails, by their claims: one email per recipient
    and organisation (of these organisations, if given).

    The sweep also gives new metrics their first due date here.
    """
    _fill_missing_due_dates()
    due = _decisions(now, organisation_ids=organisation_ids)
    settled = deliveries_settled([decision.claim for decision in due])
    batches: dict[tuple[int, int], list[Claim]] = defaultdict(list)
    for decision in due:
        if decision.claim not in settled:
            batches[(decision.recipient.pk, decision.organisation.pk)].append(decision.claim)
    return dict(batches)


def reminders_send(user_id: int, organisation_id: int, now: datetime | None = None) -> bool:
    """Send one person their pending reminders from one organisation, in one email, once.
    Returns whether it sent one (see reminders_send_batch)."""
    return reminders_send_batch(organisation_id, [user_id], now) == 1


def reminders_send_batch(
    organisation_id: int, user_ids: Collection[int], now: datetime | None = None
) -> int:
    """Send each of these people their pending reminders from one organisation, one email
    each, over one connection to the mail server. Returns how many emails went.

    The schedule is read once for all of them, and the emails claimed and recorded sent in
    chunks (core.deliveries.claimed_sends), as digests are. Safe to run twice, or in two
    workers at once: each reminder is claimed first, and an email goes only with the
    reminders this call claimed.
    """
    now = now or timezone.now()
    pending = pending_reminders(now, organisation_id=organisation_id, user_ids=set(user_ids))
    if not pending:
        return 0
    by_recipient: dict[int, list[Reminder]] = defaultdict(list)
    for reminder in pending:
        by_recipient[reminder.recipient.pk].append(reminder)
    memberships = {
        membership.user_id: membership
        for membership in Membership.objects.filter(
            organisation_id=organisation_id, user_id__in=by_recipient
        )
    }
    outgoing = [
        OutgoingParts(
            organisation_id,
            tuple(reminder.claim for reminder in theirs),
            partial(_email_of_claimed, theirs, memberships[user_id]),
        )
        for user_id, theirs in by_recipient.items()
        if user_id in memberships  # left since the sweep: nothing to say to them here
    ]
    return claimed_sends(outgoing, mailers.default)


def _email_of_claimed(
    reminders: Sequence[Reminder], membership: Membership, won: Sequence[Claim]
) -> EmailMultiAlternatives:
    """The email with the reminders this sender claimed (another may hold the rest)."""
    claimed = set(won)
    return reminder_email([r for r in reminders if r.claim in claimed], membership)


# ---- The email ----


def _subject(own: Sequence[Reminder], escalations: Sequence[Reminder]) -> str:
    if len(own) == 1 and not escalations:
        return f"“{own[0].metric.name}” is {own[0].when}"
    if own:
        extra = f", and {len(escalations)} late on your missions" if escalations else ""
        if len(own) == 1:
            return f"“{own[0].metric.name}” is {own[0].when}{extra}"
        return f"{len(own)} check-ins to record{extra}"
    if len(escalations) == 1:
        late = escalations[0]
        return f"“{late.metric.name}” on {late.metric.mission.title} is {late.when}"
    return f"{len(escalations)} late check-ins on your missions"


def reminder_email(
    reminders: Sequence[Reminder], membership: Membership | None = None
) -> EmailMultiAlternatives:
    first = reminders[0]
    organisation, recipient = first.organisation, first.recipient
    if membership is None:
        membership = Membership.objects.get(organisation=organisation, user=recipient)
    my_checkins = reverse("metrics:my_checkins", args=[organisation.slug])
    own = [r for r in reminders if r.kind == EmailKind.REMINDER]
    escalations = [r for r in reminders if r.kind == EmailKind.ESCALATION]
    return organisation_email(
        organisation,
        to=recipient.email,
        subject=_subject(own, escalations),
        template="reminder",
        context={
            "recipient": recipient,
            "own": own,
            "escalations": escalations,
            "my_checkins_url": settings.SITE_URL + my_checkins,
        },
        unsubscribe_url=unsubscribe_url(Topic.REMINDERS, membership),
    )
