"""Recording and correcting check-ins, and a mission made from a template with its metrics."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core import events
from metrics.catalogue import MissionTemplate
from metrics.figures import figures_refresh, metric_trends
from metrics.models import CheckIn, CheckInImport, Metric
from metrics.progress import Status
from metrics.rollups import figures_of
from missions.models import Goal, Milestone, Mission, MissionStatus
from orgs.models import Organisation, User


class CheckInConflict(Exception):
    """Someone else changed this check-in first. Nothing was saved; the message says so."""


# What metric_refresh_latest keeps on the row.
FROM_CHECKINS = (
    *("latest_value", "latest_on", "latest_confidence", "trend"),
    *("first_value", "first_on"),
)


def metric_event_payload(metric: Metric) -> dict[str, Any]:
    """What an event about this metric says of it (core.events): webhooks send it."""
    mission = metric.mission
    today = timezone.localdate()
    return {
        "uid": str(metric.uid),
        "name": metric.name,
        "unit": metric.unit,
        "status": figures_of(metric, today).status.value,
        "progress": metric.progress,
        "latest_value": _number(metric.latest_value),
        "latest_on": metric.latest_on.isoformat() if metric.latest_on else None,
        "target_value": _number(metric.target_value),
        "mission": {"slug": mission.slug, "title": mission.title},
        "url": settings.SITE_URL
        + reverse("metrics:detail", args=[mission.organisation.slug, mission.slug, metric.uid]),
    }


def _number(value: Decimal | None) -> str | None:
    """A decimal as JSON carries it without losing digits: a string."""
    return None if value is None else format(Decimal(value).normalize(), "f")


def _checkin_announce(checkin: CheckIn, metric: Metric) -> None:
    payload = {
        "checkin": {
            "uid": str(checkin.uid),
            "value": _number(checkin.value),
            "for_date": checkin.for_date.isoformat(),
            "confidence": checkin.confidence,
            "note": checkin.note,
            "author": checkin.author.display_name if checkin.author else "Waymark",
            "corrects": str(checkin.corrects.uid) if checkin.corrects else None,
        },
        "metric": metric_event_payload(metric),
    }
    events.event_emit(metric.mission.organisation_id, events.CHECKIN_RECORDED, payload)


def metric_refresh_latest(metric: Metric) -> Status | None:
    """Keep the metric's copy of its latest current check-in with its trend, and of its
    first (its starting point while it has no baseline), and its next due date.

    Its progress, and its goal's and mission's figures, follow in the same transaction
    (metrics.signals). Returns the status it had when that moved with them (for the
    caller to announce: core.events), else None."""
    today = timezone.localdate()
    stored = Metric.objects.filter(pk=metric.pk).first()
    before = figures_of(stored, today).status if stored else None
    current = metric.checkins.filter(is_current=True)
    latest = current.order_by("-for_date", "-created_at").first()
    first = current.order_by("for_date", "created_at").first()
    metric.latest_value = latest.value if latest else None
    metric.latest_on = latest.for_date if latest else None
    metric.latest_confidence = latest.confidence if latest else ""
    metric.first_value = first.value if first else None
    metric.first_on = first.for_date if first else None
    metric.trend = metric_trends({metric.pk: metric.latest_on})[metric.pk]
    metric.next_due_on = metric.next_due_date()
    with transaction.atomic(savepoint=False):
        # updated_at too: a new reading is a change to the metric, for the API's updated_since.
        metric.save(update_fields=[*FROM_CHECKINS, "next_due_on", "updated_at"])
    after = figures_of(metric, today).status
    return before if before is not None and after != before else None


def _status_announce(metric: Metric, before: Status | None) -> None:
    """Announce a status a refresh moved (metric_refresh_latest's answer), if it did."""
    if before is not None:
        payload = {"metric": metric_event_payload(metric), "previous_status": before.value}
        events.event_emit(metric.mission.organisation_id, events.METRIC_STATUS_CHANGED, payload)


def checkin_record(
    metric: Metric,
    *,
    value: Decimal,
    for_date: date,
    author: User | None,
    confidence: str,
    note: str = "",
) -> CheckIn:
    """Record a reading. A second reading for the same date corrects the first. A reading
    Waymark fetched itself (a metric feed) has no author.

    Raises TooManyReadings, saving nothing, when a new date would take the metric past
    MAX_READINGS current readings."""
    with transaction.atomic():
        # One writer per metric at a time: the latest_* copy must match the rows.
        Metric.objects.select_for_update().filter(pk=metric.pk).first()
        existing = metric.checkins.filter(is_current=True, for_date=for_date).first()
        if existing is not None:
            return checkin_correct(
                existing, value=value, author=author, confidence=confidence, note=note
            )
        CheckIn.objects.room_for(metric, 1)
        checkin = CheckIn.objects.create(
            metric=metric,
            value=value,
            for_date=for_date,
            author=author,
            confidence=confidence,
            note=note,
        )
        was = metric_refresh_latest(metric)
        _checkin_announce(checkin, metric)
        _status_announce(metric, was)
    return checkin


def checkin_correct(
    checkin: CheckIn, *, value: Decimal, author: User | None, confidence: str, note: str = ""
) -> CheckIn:
    """Replace a reading with a corrected one; the earlier row stays in the history."""
    try:
        with transaction.atomic():
            # The optimistic check: only one correction can retire the row it replaces.
            retired = CheckIn.objects.filter(pk=checkin.pk, is_current=True).update(
                is_current=False
            )
            if not retired:
                raise CheckInConflict(
                    "Someone corrected this check-in while you were editing it. "
                    "Nothing was saved; here is the latest value."
                )
            correction = CheckIn.objects.create(
                metric_id=checkin.metric_id,
                value=value,
                for_date=checkin.for_date,
                author=author,
                confidence=confidence,
                note=note,
                corrects=checkin,
            )
            was = metric_refresh_latest(checkin.metric)
            _checkin_announce(correction, checkin.metric)
            _status_announce(checkin.metric, was)
    except IntegrityError as error:
        raise CheckInConflict(
            "Someone changed this check-in at the same moment. Nothing was saved; try again."
        ) from error
    return correction


# ---- Many readings at once (a CSV import), all or none ----
# checkin_record costs half a dozen queries and a savepoint per reading: a 5,000-row
# file took over a minute on PostgreSQL. checkins_import keeps the same rules in a fixed
# number of statements.

# Keeps every statement's parameters well inside SQLite's limit.
BATCH = 500


@dataclass(frozen=True)
class Reading:
    for_date: date
    value: Decimal
    confidence: str
    note: str = ""


def _batches[T](items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def checkins_import(metric: Metric, readings: Sequence[Reading], *, author: User) -> list[CheckIn]:
    """Record readings for different dates. A date that already has a current check-in
    gets a correction pointing at it, so the earlier value stays in the history, exactly
    as `checkin_record` does.

    Raises `CheckInConflict`, having saved nothing, if someone changes one of those
    check-ins at the same moment, TooManyReadings if the new dates would take the
    metric past MAX_READINGS current readings, and TooManyImports if its organisation
    has made IMPORTS_PER_HOUR imports in the last hour. Each import is recorded.
    """
    organisation_id = metric.mission.organisation_id
    if len({reading.for_date for reading in readings}) != len(readings):
        raise ValueError("one reading per date")
    try:
        with transaction.atomic():
            # The same lock checkin_record takes: one writer per metric at a time.
            Metric.objects.select_for_update().filter(pk=metric.pk).first()
            wanted = {reading.for_date for reading in readings}
            replaced = {
                checkin.for_date: checkin
                for checkin in metric.checkins.filter(is_current=True)
                if checkin.for_date in wanted
            }
            CheckInImport.objects.room_for_one(organisation_id)
            CheckIn.objects.room_for(metric, len(readings) - len(replaced))
            retired = 0
            for batch in _batches([checkin.pk for checkin in replaced.values()]):
                retired += CheckIn.objects.filter(pk__in=batch, is_current=True).update(
                    is_current=False
                )
            if retired != len(replaced):
                raise CheckInConflict(
                    "Someone corrected one of these check-ins at the same moment. "
                    "Nothing was saved; try again."
                )
            created = CheckIn.objects.bulk_create(
                [
                    CheckIn(
                        metric=metric,
                        value=reading.value,
                        for_date=reading.for_date,
                        confidence=reading.confidence,
                        note=reading.note,
                        author=author,
                        corrects=replaced.get(reading.for_date),
                    )
                    for reading in readings
                ],
                batch_size=BATCH,
            )
            _status_announce(metric, metric_refresh_latest(metric))
            CheckInImport.objects.create(
                organisation_id=organisation_id,
                metric=metric,
                author=author,
                readings=len(created),
            )
    except IntegrityError as error:
        raise CheckInConflict(
            "Someone recorded a value for this metric at the same moment. "
            "Nothing was saved; try again."
        ) from error
    return created


@transaction.atomic
def mission_create_from_template(
    organisation: Organisation,
    template: MissionTemplate,
    owner: User,
    title: str = "",
    starts_on: date | None = None,
) -> Mission:
    """A draft mission with the template's goals, metrics and milestones, owned by `owner`."""
    today = starts_on or timezone.localdate()
    title = title or template.title
    mission = Mission.objects.create(
        organisation=organisation,
        title=title,
        slug=Mission.objects.free_slug(organisation, title),
        purpose=template.purpose,
        problem=template.problem,
        beneficiaries=template.beneficiaries,
        end_state=template.end_state,
        starts_on=today,
        ends_on=template.ends_on(today),
        owner=owner,
        status=MissionStatus.DRAFT,
        template_key=template.key,
    )
    for position, suggestion in enumerate(template.goals):
        goal = Goal.objects.create(
            mission=mission,
            title=suggestion.title,
            weight=suggestion.weight,
            owner=owner,
            due_on=mission.ends_on,
            position=position,
        )
        Metric.objects.bulk_create(
            Metric(
                mission=mission,
                goal=goal,
                name=metric.name,
                kind=metric.kind,
                unit=metric.unit,
                format=metric.format,
                direction=metric.direction,
                # The template's baseline is an example; the health check asks for the real one.
                target_value=metric.target,
                target_on=mission.ends_on if metric.target is not None else None,
                cadence=metric.cadence,
                owner=owner,
                position=n,
            )
            for n, metric in enumerate(suggestion.metrics)
        )
    Milestone.objects.bulk_create(
        Milestone(
            mission=mission,
            title=milestone.title,
            due_on=milestone.due_on(today),
            position=position,
        )
        for position, milestone in enumerate(template.milestones)
    )
    # The metrics came in bulk, without the save signals that keep the figures.
    figures_refresh([mission.pk])
    mission.event_emit(events.MISSION_CREATED)
    return mission
