"""The history of missions, goals, metrics and check-ins: one row per change to one of them."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orgs.models import Organisation


class Subject(models.TextChoices):
    MISSION = "mission", "Mission"
    GOAL = "goal", "Goal"
    METRIC = "metric", "Metric"
    CHECKIN = "checkin", "Check-in"


class Action(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"


class Change(models.Model):
    """Who changed what, when, and the tracked fields before and after.

    The changed row, its mission and its metric are plain ids, not foreign keys: the
    history of a deleted goal or metric must outlive it. Only the organisation cascades,
    because its history goes with it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="changes")
    subject = models.CharField(max_length=8, choices=Subject.choices)
    object_id = models.BigIntegerField()
    # What it was called then (a mission's or goal's title, a metric's name).
    object_label = models.CharField(max_length=200, blank=True)
    mission_ref = models.BigIntegerField(help_text="The id of the mission it belongs to.")
    metric_ref = models.BigIntegerField(
        null=True, blank=True, help_text="The id of the metric, for metrics and check-ins."
    )
    action = models.CharField(max_length=6, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The person's name at the time, or "system" for tasks and commands; kept when the
    # person's account is deleted.
    actor_label = models.CharField(max_length=150)
    # One id per request or task: the changes one action made together.
    request_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # The tracked fields only: all of them for a creation (after) or a deletion (before),
    # the changed ones for an update.
    before = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    after = models.JSONField(default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(
                fields=["organisation", "mission_ref", "-at", "-id"], name="change_mission_newest"
            ),
            models.Index(
                fields=["organisation", "metric_ref", "-at", "-id"],
                condition=Q(metric_ref__isnull=False),
                name="change_metric_newest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject__in=Subject.values), name="change_subject_is_known"
            ),
            models.CheckConstraint(
                condition=Q(action__in=Action.values), name="change_action_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.subject} {self.object_id} by {self.actor_label}"
