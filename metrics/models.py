"""Metrics, how a goal or mission is measured, and the check-ins recorded against them."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Q, Window
from django.db.models.functions import Mod, RowNumber
from django.utils import timezone

from audit.tracking import AuditedModel, AuditedQuerySet
from core import dates, numbers, text
from core.versioned import Versioned
from metrics import rollups
from metrics.forecast import RECENT
from missions.models import WEIGHT_VALIDATORS, Goal, Mission, owner_named
from orgs.models import Organisation


class MetricKind(models.TextChoices):
    OUTCOME = "outcome", "Outcome"
    OUTPUT = "output", "Output"
    INPUT = "input", "Input"


class MetricFormat(models.TextChoices):
    NUMBER = "number", "Number"
    PERCENTAGE = "percentage", "Percentage"
    CURRENCY = "currency", "Currency"
    YES_NO = "yes_no", "Yes / no"


class Direction(models.TextChoices):
    INCREASE = "increase", "Increase to the target"
    DECREASE = "decrease", "Decrease to the target"
    STAY_ABOVE = "stay_above", "Stay above the target"
    STAY_BELOW = "stay_below", "Stay below the target"


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Fortnightly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


CADENCE_DAYS = {
    Cadence.WEEKLY: 7,
    Cadence.FORTNIGHTLY: 14,
    Cadence.MONTHLY: 30,
    Cadence.QUARTERLY: 91,
}


class Confidence(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


class MetricQuerySet(AuditedQuerySet, models.QuerySet["Metric"]):
    pass


class Metric(Versioned, AuditedModel):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Every metric belongs to a mission (its organisation's), and usually to one of its goals.
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="metrics")
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, null=True, blank=True, related_name="metrics"
    )
    name = text.CharField(max_length=200)
    kind = models.CharField(
        max_length=8,
        choices=MetricKind.choices,
        default=MetricKind.OUTCOME,
        help_text="Outcomes are the change you want; outputs and inputs are the work towards it.",
    )
    unit = text.CharField(max_length=30, blank=True, help_text='e.g. "tonnes CO₂e", "%", "£"')
    format = models.CharField(
        max_length=10, choices=MetricFormat.choices, default=MetricFormat.NUMBER
    )
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )
    baseline_value = numbers.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    baseline_on = models.DateField(null=True, blank=True)
    target_value = numbers.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    target_on = models.DateField(null=True, blank=True)
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.MONTHLY)
    # When the first check-in is due, if the person chose a day; otherwise it is due a
    # cadence after the metric was added (see next_due_date).
    first_due_on = models.DateField("first check-in due", null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="metrics_owned",
    )
    # Given to someone invited who has not joined yet: theirs once they accept (the
    # invitation_accepted receiver in metrics.signals moves it to `owner`).
    owner_invitation = models.ForeignKey(
        "orgs.Invitation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_note = text.CharField(
        "source", max_length=240, blank=True, help_text="Where the number comes from."
    )
    weight = numbers.WholeNumberField(
        default=1,
        validators=WEIGHT_VALIDATORS,
        help_text="How much this metric counts towards its goal, from 1 to 100.",
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When it last changed, its latest reading and stored figures too: what the API's
    # updated_since reads.
    updated_at = models.DateTimeField(auto_now=True)
    # The latest current check-in, kept on the row by metrics.services so that lists and
    # dashboards read it without touching the check-ins.
    latest_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    latest_on = models.DateField(null=True, blank=True)
    latest_confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    # The current readings of the year up to the latest, oldest first, as floats: what a
    # trend line draws, kept with the latest (metrics.figures.metric_trends).
    trend = models.JSONField(default=list, blank=True, editable=False)
    # The earliest current check-in, kept beside the latest: a metric without a baseline
    # measures its progress from it (metrics.rollups.starting_point).
    first_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    first_on = models.DateField(null=True, blank=True)
    # When the next check-in is due: reminders claim their send against this.
    next_due_on = models.DateField(null=True, blank=True, db_index=True)
    # The progress of the latest reading, None when there is none or the metric is not
    # measurable: stored so that roll-ups and lists read it (see metrics.figures).
    progress = models.FloatField(null=True, blank=True, editable=False)

    objects = MetricQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100),
                name="metric_weight_between_1_and_100",
            ),
            models.CheckConstraint(
                condition=Q(target_on__isnull=True)
                | Q(baseline_on__isnull=True)
                | Q(target_on__gt=F("baseline_on")),
                name="metric_target_date_after_baseline_date",
            ),
            models.CheckConstraint(
                condition=~Q(direction__in=["increase", "decrease"])
                | Q(target_value__isnull=True)
                | Q(baseline_value__isnull=True)
                | ~Q(target_value=F("baseline_value")),
                name="metric_target_differs_from_baseline",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(owner_invitation__isnull=True),
                name="metric_owned_by_a_member_or_an_invitation",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def owner_named(self) -> str:
        return owner_named(self)

    @property
    def has_baseline(self) -> bool:
        return self.baseline_value is not None and self.baseline_on is not None

    @property
    def is_measurable(self) -> bool:
        return rollups.measurable(self)

    @property
    def starting_point(self) -> rollups.Start | None:
        """Its baseline, or without one its first check-in: where progress is measured from."""
        return rollups.starting_point(self)

    def check_reading(self, value: Decimal) -> None:
        """A value this metric's format allows: yes/no is 1 or 0, a percentage 0 to 100."""
        if self.format == MetricFormat.YES_NO and value not in (0, 1):
            raise ValidationError("Choose yes or no.")
        if self.format == MetricFormat.PERCENTAGE and not 0 <= value <= 100:
            raise ValidationError("A percentage is between 0 and 100.")

    def check_reading_date(self, for_date: date, today: date) -> None:
        """Not in the future, not before the baseline, and not before dates.EARLIEST."""
        if for_date > today:
            raise ValidationError("A check-in can’t be for a date in the future.")
        if self.baseline_on and for_date < self.baseline_on:
            raise ValidationError(
                f"That is before the baseline date ({dates.day_month_year(self.baseline_on)}). "
                "Change the baseline if the history starts earlier."
            )
        dates.past(today).check(for_date)

    def next_due_date(self) -> date:
        """A cadence after the latest check-in. Before the first: the day chosen for it,
        or a cadence after the metric was added, so that a new metric is never overdue
        the moment it exists (whenever its baseline was measured)."""
        cadence = CADENCE_DAYS[Cadence(self.cadence)]
        if self.latest_on is not None:
            return dates.days_after(self.latest_on, cadence)
        if self.first_due_on is not None:
            return self.first_due_on
        added = dates.local_day(self.created_at) if self.created_at else timezone.localdate()
        return dates.days_after(added, cadence)

    def format_value(self, value: Decimal | float | None) -> str:
        """A value as people read it: 1,250 · 42 % · £3,400 · Yes."""
        if value is None:
            return "–"
        if self.format == MetricFormat.YES_NO:
            return "Yes" if value else "No"
        number = numbers.readable(value)
        if self.format == MetricFormat.PERCENTAGE:
            return f"{number} %"
        if self.format == MetricFormat.CURRENCY:
            return f"{self.unit or '£'}{number}" if len(self.unit) <= 1 else f"{number} {self.unit}"
        return f"{number} {self.unit}".strip()


# The most current readings a metric keeps: years of daily check-ins, and a bound on
# what one metric's pages, exports and reports ever read.
MAX_READINGS = 5000

# The most points a chart draws of one metric: more than a chart's width has room for.
CHART_POINTS = 300


class TooManyReadings(ValidationError):
    """The metric would hold more than MAX_READINGS current readings; nothing was saved."""

    def __init__(self, metric: "Metric", adding: int = 1) -> None:
        super().__init__(
            f"“{metric.name}” already has {MAX_READINGS:,} check-ins, the most a metric "
            "keeps" + (f", and this adds {adding:,} more" if adding > 1 else "") + ". "
            "Correct an existing date's value, or start a new metric for the next period."
        )


class CheckInQuerySet(AuditedQuerySet, models.QuerySet["CheckIn"]):
    def chart_series(self, most: int = CHART_POINTS) -> "CheckInQuerySet":
        """About `most` of these readings per metric, spread evenly through each metric's
        history, oldest first: its first reading, every so many after it, and its newest
        `forecast.RECENT` (all the forecast reads) always among them.

        Chosen in the database, so a chart reads as much however long its history is.
        """
        # By date alone, which the (metric, is_current, for_date) index gives in order: a
        # metric has one current reading a date.
        in_order = F("for_date").asc()
        per_metric = Window(Count("id"), partition_by=F("metric_id"))
        return (
            self.annotate(
                position=Window(RowNumber(), partition_by=F("metric_id"), order_by=in_order),
                readings=per_metric,
            )
            # Integer division: every `step`th reading, `most` of them at most.
            .annotate(offset=Mod(F("position"), (F("readings") + most - 1) / most))
            .filter(Q(position=1) | Q(offset=0) | Q(position__gt=F("readings") - RECENT))
            .order_by("metric_id", "for_date")
        )

    def room_for(self, metric: "Metric", adding: int) -> None:
        """Raise TooManyReadings if `adding` new dates would take the metric past
        MAX_READINGS current readings. Asked under the metric's lock (metrics.services)."""
        if adding <= 0:
            return
        held = self.filter(metric=metric, is_current=True).count()
        if held + adding > MAX_READINGS:
            raise TooManyReadings(metric, adding)


class CheckIn(AuditedModel):
    """One reading of a metric. Rows are never changed: a correction is a new row.

    The corrected row stays, marked not current, and the correction points back at it,
    so the history shows every earlier value, who replaced it and when.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="checkins")
    value = numbers.DecimalField(max_digits=16, decimal_places=4)
    confidence = models.CharField(
        max_length=10, choices=Confidence.choices, default=Confidence.ON_TRACK
    )
    note = text.TextField("comment", max_length=2000, blank=True)
    for_date = models.DateField("for the date")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="checkins"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=True)
    # One-to-one: a check-in can be corrected once; a second, simultaneous correction of
    # the same row fails instead of silently overwriting the first.
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="correction"
    )

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["for_date", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "for_date"],
                condition=Q(is_current=True),
                name="checkin_one_current_per_metric_and_date",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="checkin_confidence_is_known"
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "is_current", "for_date"]),
            # The metric page's history, a page at a time: newest first, corrections too.
            models.Index(
                F("metric"),
                F("for_date").desc(),
                F("created_at").desc(),
                name="checkin_history",
            ),
            # The dashboard's "latest check-ins": newest current readings first.
            models.Index(
                F("for_date").desc(),
                F("created_at").desc(),
                condition=Q(is_current=True),
                name="checkin_latest_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.value} on {self.for_date}"


# Imports an organisation may confirm in an hour: plenty for moving a history in,
# file by file, and a bound on how fast one sign-up can fill the database.
IMPORTS_PER_HOUR = 20


class TooManyImports(ValidationError):
    """The organisation has confirmed IMPORTS_PER_HOUR imports in the last hour."""

    def __init__(self, next_at: datetime) -> None:
        super().__init__(
            f"Your organisation has imported {IMPORTS_PER_HOUR} files in the last hour, the "
            f"most it can. Try again after {dates.moment(next_at)}."
        )


class CheckInImportQuerySet(models.QuerySet["CheckInImport"]):
    def room_for_one(self, organisation_id: int) -> None:
        """Raise TooManyImports if the organisation has used up this hour's imports."""
        hour_ago = timezone.now() - timedelta(hours=1)
        recent = list(
            self.filter(organisation_id=organisation_id, at__gt=hour_ago)
            .order_by("-at")
            .values_list("at", flat=True)[:IMPORTS_PER_HOUR]
        )
        if len(recent) >= IMPORTS_PER_HOUR:
            raise TooManyImports(recent[-1] + timedelta(hours=1))


class CheckInImport(models.Model):
    """A confirmed CSV import: who brought how many readings into which metric, when."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="imports")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    readings = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)

    objects = CheckInImportQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["organisation", "at"], name="checkin_import_org_at")]

    def __str__(self) -> str:
        return f"{self.readings} readings into {self.metric_id} at {self.at}"
