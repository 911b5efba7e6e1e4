"""Missions and what hangs off them: goals, milestones, alignment, stakeholders, ideas."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone

from audit.tracking import AuditedModel, AuditedQuerySet
from core import events, numbers, text
from core.slugs import unique_slug
from core.tokens import new_token, token_digest, unknown_token_digest
from core.versioned import Versioned
from missions.health import HealthFacts, HealthIssue, mission_health
from orgs import policy
from orgs.models import Membership, Organisation, Stakeholder, Team


class MissionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ACHIEVED = "achieved", "Achieved"
    RETIRED = "retired", "Retired"


# Words the mission URLs use themselves (/missions/new/, /missions/templates/).
RESERVED_SLUGS = {"new", "templates"}


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private to admins and the mission owner"
    ORGANISATION = "organisation", "Everyone in the organisation"
    SHAREABLE = "shareable", "Shareable with stakeholders"


def count_per_mission(rows: models.QuerySet[Any], mission_field: str = "mission") -> Any:
    """A correlated COUNT(*) of `rows` for each mission, 0 when there are none.

    Subqueries rather than joins: several counts over joined tables would multiply.
    """
    counted = (
        rows.filter(**{mission_field: models.OuterRef("pk")})
        .order_by()
        .values(mission_field)
        .annotate(n=models.Count("*"))
        .values("n")
    )
    return Coalesce(models.Subquery(counted), 0)


class MissionQuerySet(AuditedQuerySet, models.QuerySet["Mission"]):
    def free_slug(self, organisation: Organisation, title: str) -> str:
        """A slug for a new mission of the organisation, unused by any of its missions."""
        taken = self.filter(organisation=organisation)
        return unique_slug(taken, title, fallback="mission", max_length=70, reserved=RESERVED_SLUGS)

    def title_taken(
        self, organisation: Organisation, title: str, exclude_pk: int | None = None
    ) -> bool:
        """Whether another live mission of the organisation has this title, in any case.

        The same rule as the mission_title_unique_among_live constraint, asked in advance
        so people get a message rather than an error."""
        clash = self.live().filter(organisation=organisation, title__iexact=title.strip())
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        return clash.exists()

    def live(self) -> "MissionQuerySet":
        return self.filter(archived_at__isnull=True)

    def visible_to(self, membership: Membership) -> "MissionQuerySet":
        """The organisation's missions this person may see (orgs.policy.can_see_mission)."""
        # The organisation comes along: every mission link is built from its slug.
        missions = self.filter(organisation_id=membership.organisation_id).select_related(
            "organisation"
        )
        visible = policy.visible_missions(membership)
        return missions if visible is None else missions.filter(visible)


class Mission(Versioned, AuditedModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="missions"
    )
    title = text.CharField(max_length=160)
    slug = models.SlugField(max_length=80)
    purpose = text.TextField(
        max_length=1000,
        help_text="What the organisation will achieve, and why it matters.",
    )
    problem = text.TextField(
        "problem or opportunity",
        max_length=2000,
        blank=True,
        help_text="The problem this mission addresses, or the opportunity it takes.",
    )
    beneficiaries = text.TextField(
        "who benefits",
        max_length=1000,
        blank=True,
        help_text="The people and places better off when it succeeds.",
    )
    end_state = text.CharField(
        "dated end state",
        max_length=240,
        blank=True,
        help_text=(
            'The world when the mission is done, e.g. "By 2030, every delivery is zero-carbon."'
        ),
    )
    starts_on = models.DateField(default=date.today)
    ends_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="missions_owned",
    )
    status = models.CharField(
        max_length=10, choices=MissionStatus.choices, default=MissionStatus.DRAFT
    )
    visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.ORGANISATION
    )
    template_key = models.CharField(max_length=60, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Figures stored on the row so that lists, share pages and digests read them instead
    # of loading every goal and metric: metrics.figures keeps them current in the
    # transaction of each change that moves them, and its recompute_figures command
    # reports any drift. Progress and status roll up as metrics.rollups says.
    progress = models.FloatField(null=True, blank=True, editable=False)
    expected_path = models.JSONField(default=list, blank=True, editable=False)
    reported_confidence = models.CharField(max_length=10, blank=True, editable=False)
    # What the health check counts.
    goal_count = models.PositiveIntegerField(default=0, editable=False)
    goals_without_metric = models.PositiveIntegerField(default=0, editable=False)
    metric_count = models.PositiveIntegerField(default=0, editable=False)
    outcome_metric_count = models.PositiveIntegerField(default=0, editable=False)
    metrics_without_baseline = models.PositiveIntegerField(default=0, editable=False)
    lead_team_count = models.PositiveIntegerField(default=0, editable=False)
    stakeholder_count = models.PositiveIntegerField(default=0, editable=False)

    objects = MissionQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="mission_slug_unique_in_organisation"
            ),
            # Two live missions with one title would be confusing on every page; archived
            # ones keep their title as history.
            models.UniqueConstraint(
                F("organisation"),
                Lower("title"),
                condition=Q(archived_at__isnull=True),
                name="mission_title_unique_among_live",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=F("starts_on")),
                name="mission_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MissionStatus.values), name="mission_status_is_known"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="mission_visibility_is_known"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reporting:mission", args=[self.organisation.slug, self.slug])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def event_payload(self) -> dict[str, Any]:
        """What an event about this mission says of it (core.events): webhooks send it."""
        return {
            "slug": self.slug,
            "title": self.title,
            "status": self.status,
            "visibility": self.visibility,
            "archived": self.is_archived,
            "progress": self.progress,
            "url": settings.SITE_URL + self.get_absolute_url(),
        }

    def event_emit(self, name: str, **more: Any) -> None:
        events.event_emit(self.organisation_id, name, {"mission": self.event_payload(), **more})

    def save_edit(self, fields: Iterable[str], *, version: int, by: AbstractBaseUser) -> bool:
        """As Versioned.save_edit; a saved change of status is announced (core.events)."""
        fields = list(fields)
        before = (
            Mission.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if "status" in fields
            else None
        )
        saved = super().save_edit(fields, version=version, by=by)
        if saved and before is not None and before != self.status:
            self.event_emit(events.MISSION_STATUS_CHANGED, previous_status=before)
        return saved

    def health(self) -> list[HealthIssue]:
        """From the counts stored on the row."""
        return mission_health(
            HealthFacts(
                has_owner=self.owner_id is not None,
                has_end_date=self.ends_on is not None,
                goal_count=self.goal_count,
                goals_without_metric=self.goals_without_metric,
                metric_count=self.metric_count,
                outcome_metric_count=self.outcome_metric_count,
                metrics_without_baseline=self.metrics_without_baseline,
                lead_team_count=self.lead_team_count,
                stakeholder_count=self.stakeholder_count,
            )
        )


def owner_named(row: Any) -> str:
    """Who a goal, milestone or metric is given to, as people read it: its owner, or the
    address it was promised to before they joined; "" for nobody."""
    if row.owner_id is not None:
        return str(row.owner.display_name)
    if row.owner_invitation_id is not None:
        return f"{row.owner_invitation.email} (invited)"
    return ""


class OrderedQuerySet(models.QuerySet[Any]):
    def next_position(self) -> int:
        last = self.aggregate(models.Max("position"))["position__max"]
        return 0 if last is None else last + 1


# Goals and metrics count towards what they roll up into with a weight from 1 to 100.
WEIGHT_VALIDATORS = [
    MinValueValidator(1, "Enter a weight from 1 to 100."),
    MaxValueValidator(100, "Enter a weight from 1 to 100."),
]


class GoalQuerySet(AuditedQuerySet, OrderedQuerySet):
    pass


class Goal(Versioned, AuditedModel):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="goals")
    title = text.CharField(max_length=200, help_text="An ambitious target, stated as an outcome.")
    description = text.TextField(max_length=2000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="goals_owned",
    )
    # Given to someone invited who has not joined yet: theirs once they accept (the
    # invitation_accepted receiver in missions.signals moves it to `owner`).
    owner_invitation = models.ForeignKey(
        "orgs.Invitation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(null=True, blank=True)
    weight = numbers.WholeNumberField(
        default=1,
        validators=WEIGHT_VALIDATORS,
        help_text="How much this goal counts towards the mission, from 1 to 100.",
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When it last changed (its stored figures too): what the API's updated_since reads.
    updated_at = models.DateTimeField(auto_now=True)
    # Its metrics rolled up, stored like the mission's figures (see Mission).
    progress = models.FloatField(null=True, blank=True, editable=False)
    expected_path = models.JSONField(default=list, blank=True, editable=False)
    reported_confidence = models.CharField(max_length=10, blank=True, editable=False)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100), name="goal_weight_between_1_and_100"
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(owner_invitation__isnull=True),
                name="goal_owned_by_a_member_or_an_invitation",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="milestones")
    title = text.CharField(max_length=200)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="milestones_owned",
    )
    # Given to someone invited who has not joined yet: theirs once they accept (the
    # invitation_accepted receiver in missions.signals moves it to `owner`).
    owner_invitation = models.ForeignKey(
        "orgs.Invitation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    position = models.PositiveIntegerField(default=0)
    # When it last changed: what the API's updated_since reads.
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(owner_invitation__isnull=True),
                name="milestone_owned_by_a_member_or_an_invitation",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    @property
    def is_late(self) -> bool:
        return self.done_on is None and self.due_on < timezone.localdate()


class AlignmentRole(models.TextChoices):
    LEAD = "lead", "Lead"
    CONTRIBUTOR = "contributor", "Contributor"


class Alignment(models.Model):
    """A team working on a mission, with the share of its capacity it gives."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="alignments")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="alignments")
    role = models.CharField(
        max_length=12, choices=AlignmentRole.choices, default=AlignmentRole.CONTRIBUTOR
    )
    capacity = models.PositiveSmallIntegerField(
        "share of capacity (%)", help_text="How much of the team's time goes to this mission."
    )
    note = text.CharField(max_length=240, blank=True)
    # When it last changed: what the API's updated_since reads.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-role", "team__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "team"], name="alignment_team_once_per_mission"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=0, capacity__lte=100),
                name="alignment_capacity_between_0_and_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} on {self.mission} ({self.capacity}%)"


class ResourceKind(models.TextChoices):
    BUDGET = "budget", "Budget"
    PEOPLE = "people", "People (FTE)"
    TECHNOLOGY = "technology", "Technology"
    OTHER = "other", "Other"


class Period(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    MONTHLY = "monthly", "Per month"
    QUARTERLY = "quarterly", "Per quarter"
    YEARLY = "yearly", "Per year"


class Resource(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(max_length=12, choices=ResourceKind.choices)
    name = text.CharField(max_length=160)
    amount = numbers.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Money for a budget, full-time equivalents for people.",
    )
    currency = text.CharField(max_length=3, blank=True, default="GBP")
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.ONE_OFF)
    note = text.CharField(max_length=240, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="resource_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="budget") | Q(amount__isnull=False),
                name="resource_budget_has_an_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StakeholderLink(models.Model):
    """A stakeholder's interest in a mission, and a supplier's commitment towards it."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="stakeholder_links")
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="mission_links"
    )
    interest = text.CharField(max_length=240, blank=True)
    commitment = text.CharField(
        max_length=240,
        blank=True,
        help_text='What a supplier commits to, e.g. "20 % of hires local by 2027".',
    )
    commitment_due_on = models.DateField(null=True, blank=True)
    commitment_met_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["stakeholder__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "stakeholder"], name="stakeholder_link_once_per_mission"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} on {self.mission}"

    @property
    def commitment_slipped(self) -> bool:
        return bool(
            self.commitment
            and self.commitment_due_on
            and not self.commitment_met_on
            and self.commitment_due_on < timezone.localdate()
        )


class IdeaState(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class Idea(models.Model):
    """A proposal or experiment anyone in the organisation can put under a mission."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="ideas")
    title = text.CharField(max_length=200)
    description = text.TextField(max_length=4000, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="ideas"
    )
    state = models.CharField(max_length=10, choices=IdeaState.choices, default=IdeaState.OPEN)
    decision_note = text.TextField(max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="from_ideas"
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="from_ideas"
    )
    supporters = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="IdeaSupport", related_name="supported_ideas"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=IdeaState.values), name="idea_state_is_known"
            ),
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(decision_note=""),
                name="idea_decline_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class IdeaSupport(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_supports"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="idea_support_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user} supports {self.idea}"


class ReportQuerySet(models.QuerySet["Report"]):
    def published(self) -> "ReportQuerySet":
        return self.filter(published_at__isnull=False)

    def drafts(self) -> "ReportQuerySet":
        return self.filter(published_at__isnull=True)


class Report(models.Model):
    """A stakeholder report for a period. Publishing freezes it: `snapshot` holds every
    value as it was, and a published report is never edited, only superseded."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reports")
    title = text.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    missions = models.ManyToManyField(Mission, related_name="reports", blank=True)
    narrative = text.TextField(
        max_length=20000,
        blank=True,
        help_text="Markdown: highlights, risks and what you ask of stakeholders.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the published report shows, frozen at publication; rendering never reads live data.
    snapshot = models.JSONField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="report_period_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(snapshot__isnull=False),
                name="report_published_has_a_snapshot",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ShareTarget(models.TextChoices):
    MISSION = "mission", "A mission"
    REPORT = "report", "A published report"
    ORGANISATION = "organisation", "The organisation's progress page"


def new_share_token() -> str:
    # Named by the migration that made the plain token column (0002).
    return new_token()


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def active(self) -> "ShareLinkQuerySet":
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ShareLink(models.Model):
    """A link that shows chosen progress to someone without an account."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="share_links"
    )
    # The digest of the secret in the link (core.tokens), never derived from an id. The
    # link itself is shown once, when it is made.
    token_hash = models.CharField(max_length=64, unique=True, default=unknown_token_digest)
    target = models.CharField(max_length=12, choices=ShareTarget.choices)
    mission = models.ForeignKey(
        Mission, on_delete=models.CASCADE, null=True, blank=True, related_name="share_links"
    )
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, null=True, blank=True, related_name="share_links"
    )
    label = text.CharField(
        max_length=120, blank=True, help_text="Who it is for, e.g. “Suppliers’ newsletter”."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    # The plain token: only on the instance that made it, never stored.
    token: str | None = None

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target="mission", mission__isnull=False, report__isnull=True)
                    | Q(target="report", report__isnull=False, mission__isnull=True)
                    | Q(target="organisation", mission__isnull=True, report__isnull=True)
                ),
                name="share_link_points_at_its_target",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"Share link ({self.get_target_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.token is None:
            self.issue_token()
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )

    def issue_token(self) -> str:
        """A new secret for the link (the old address stops working); stored only as a
        digest, so the caller shows it now or it is lost."""
        self.token = new_token()
        self.token_hash = token_digest(self.token)
        return self.token
