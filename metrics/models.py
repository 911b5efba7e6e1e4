"""Metrics: how a goal or mission is measured. Check-ins against them come next."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from missions.models import Goal, Mission


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


class Metric(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Every metric belongs to a mission (its organisation's), and usually to one of its goals.
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="metrics")
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, null=True, blank=True, related_name="metrics"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=8,
        choices=MetricKind.choices,
        default=MetricKind.OUTCOME,
        help_text="Outcomes are the change you want; outputs and inputs are the work towards it.",
    )
    unit = models.CharField(max_length=30, blank=True, help_text='e.g. "tonnes CO₂e", "%", "£"')
    format = models.CharField(
        max_length=10, choices=MetricFormat.choices, default=MetricFormat.NUMBER
    )
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )
    baseline_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    baseline_on = models.DateField(null=True, blank=True)
    target_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    target_on = models.DateField(null=True, blank=True)
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.MONTHLY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="metrics_owned",
    )
    source_note = models.CharField(
        "source", max_length=240, blank=True, help_text="Where the number comes from."
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
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
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_baseline(self) -> bool:
        return self.baseline_value is not None and self.baseline_on is not None
