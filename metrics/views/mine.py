"""My check-ins: every metric a person owns, most overdue first, each with an inline form."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.pagecache import CSRF_STAND_IN, cached_page, with_csrf_token
from core.requests import HtmxRequest
from core.responses import refused_status
from metrics.forms import RowCheckInForm
from metrics.models import CheckIn, Metric, TooManyReadings
from metrics.progress import Status
from metrics.rollups import figures_of
from metrics.services import CheckInConflict
from missions.models import Mission
from orgs import policy
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation, User

# "Due this week": the next seven days after today.
DUE_SOON_DAYS = 7
# How many recent readings a row's sparkline draws.
SPARKLINE_POINTS = 8


class Due(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    SOON = "soon"
    LATER = "later"

    @property
    def heading(self) -> str:
        return {
            Due.OVERDUE: "Overdue",
            Due.TODAY: "Due today",
            Due.SOON: "Due this week",
            Due.LATER: "Later",
        }[self]


def owned_metrics(membership: Membership) -> QuerySet[Metric]:
    """The metrics this person owns on the live missions they can see."""
    missions = Mission.objects.visible_to(membership).live()
    return Metric.objects.filter(owner_id=membership.user_id, mission__in=missions.values("pk"))


# What a row of the page reads, and no more: every column of a metric, its mission and
# their organisation took twice as long for PostgreSQL to plan and Django to build. Links
# are made from the page's organisation.
ROW_FIELDS = (
    *("uid", "name", "unit", "format", "direction", "cadence", "created_at", "owner"),
    *("baseline_value", "baseline_on", "target_value", "target_on", "position"),
    *("latest_value", "latest_on", "latest_confidence", "trend", "next_due_on", "progress"),
    *("first_value", "first_on", "first_due_on"),
    *("mission__title", "mission__slug", "mission__owner", "goal__title"),
)


def row_metrics(membership: Membership) -> QuerySet[Metric]:
    """Their metrics with what a row shows, the mission and goal included: one query.

    Unordered: the page sorts its rows by when they are due.
    """
    return owned_metrics(membership).select_related("mission", "goal").only(*ROW_FIELDS).order_by()


def due_on(metric: Metric) -> date:
    # A metric whose due date is not stored yet is due as Metric.next_due_date says, as
    # the reminders will count it.
    return metric.next_due_on or metric.next_due_date()


def due_state(due: date, today: date) -> Due:
    if due < today:
        return Due.OVERDUE
    if due == today:
        return Due.TODAY
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return Due.SOON
    return Due.LATER


@dataclass
class CheckInRow:
    """One metric on the page, with what its row shows."""

    metric: Metric
    due_on: date
    due: Due
    overdue_days: int
    last_value: str
    target: str
    status: Status
    progress: float | None
    expected: float | None
    # Oldest first, for the sparkline.
    recent_values: list[float]
    form: RowCheckInForm | None
    # What was checked in, when the row was (re)drawn just after, or today's reading.
    done_value: str = ""
    done_on: date | None = None

    @property
    def done(self) -> bool:
        """Checked in, and not just refused: the row says so and tucks its form away."""
        return self.done_on is not None and not (self.form and self.form.errors)


@dataclass
class DueSummary:
    overdue: int
    this_week: int
    total: int


def _row(
    metric: Metric,
    membership: Membership,
    today: date,
    form: RowCheckInForm | None = None,
    recorded: CheckIn | None = None,
    today_reading: CheckIn | None = None,
) -> CheckInRow:
    """A metric's row. Checked in (`recorded` just now, or `today_reading`), its form
    corrects that reading and starts from it."""
    due = due_on(metric)
    can_check_in = policy.can_check_in(membership, metric, metric.mission)
    rollup = figures_of(metric, today)
    row = CheckInRow(
        metric=metric,
        due_on=due,
        due=due_state(due, today),
        overdue_days=(today - due).days,
        last_value=metric.format_value(metric.latest_value),
        target=metric.format_value(metric.target_value),
        status=rollup.status,
        progress=rollup.progress,
        expected=rollup.expected,
        recent_values=metric.trend[-SPARKLINE_POINTS:],
        form=None,
    )
    if can_check_in:
        correcting = recorded or today_reading
        row.form = form or RowCheckInForm(metric=metric, today=today, correcting=correcting)
    if recorded is not None:
        row.done_value, row.done_on = metric.format_value(recorded.value), recorded.for_date
    elif metric.latest_on == today:
        row.done_value, row.done_on = row.last_value, today
    return row


def _summary(dues: list[Due]) -> DueSummary:
    counts = Counter(dues)
    return DueSummary(
        overdue=counts[Due.OVERDUE],
        this_week=counts[Due.TODAY] + counts[Due.SOON],
        total=len(dues),
    )


def _page(
    request: HttpRequest,
    org: Organisation,
    membership: Membership,
    *,
    refused: RowCheckInForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()

    def body() -> str:
        context = _body_context(org, membership, today, refused)
        return render_to_string(
            "metrics/my_checkins.html#body", context | {"csrf_token": CSRF_STAND_IN}
        )

    # Their rights decide which rows have a form; a refused form is theirs alone.
    mine = f"my-checkins:{membership.user_id}:{membership.role}"
    part = body() if refused else cached_page(org, today, mine, body)
    return render(
        request,
        "metrics/my_checkins.html",
        {"org": org, "membership": membership, "body": with_csrf_token(request, part)},
        status=refused_status(request) if refused else 200,
    )


def _body_context(
    org: Organisation,
    membership: Membership,
    today: date,
    refused: RowCheckInForm | None,
    recorded: CheckIn | None = None,
) -> dict[str, Any]:
    """The summary and the groups of rows; `recorded` just now, its row says so (and takes
    the focus, having moved to the group of when it is next due)."""
    refused_uid = refused.metric.uid if refused else None
    metrics = list(row_metrics(membership))
    checked_in = [metric.pk for metric in metrics if metric.latest_on == today]
    today_readings = (
        {
            checkin.metric_id: checkin
            for checkin in CheckIn.objects.filter(
                metric_id__in=checked_in, is_current=True, for_date=today
            )
        }
        if checked_in
        else {}
    )
    rows = sorted(
        (
            _row(
                metric,
                membership,
                today,
                form=refused if metric.uid == refused_uid else None,
                recorded=recorded if recorded and recorded.metric_id == metric.pk else None,
                today_reading=today_readings.get(metric.pk),
            )
            for metric in metrics
        ),
        key=lambda row: (
            row.due_on,
            row.metric.mission.title.lower(),
            row.metric.name.lower(),
            row.metric.position,
            row.metric.pk,
        ),
    )
    groups = [
        {"due": due, "heading": due.heading, "rows": [row for row in rows if row.due == due]}
        for due in Due
    ]
    return {
        "org": org,
        "today": today,
        "groups": [group for group in groups if group["rows"]],
        "summary": _summary([row.due for row in rows]),
        "just_recorded": recorded.metric_id if recorded else None,
    }


@login_required
@require_GET
def my_checkins(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    return _page(request, org, membership)


@login_required
@require_POST
def my_checkin(request: HtmxRequest, org_slug: str, metric_uid: Any) -> HttpResponse:
    """Record one row's check-in; for htmx, answer with the row redrawn."""
    org, membership = get_org_for_user(request, org_slug)
    # Only the rows of this page: someone else's metric is not "missing" here, it is not
    # one of theirs (404), and the metric's own page has the general form.
    metric = get_object_or_404(
        owned_metrics(membership).select_related("mission__organisation", "goal"), uid=metric_uid
    )
    if not policy.can_check_in(membership, metric, metric.mission):
        raise PermissionDenied("Viewers read; members, mission owners and admins check in.")
    today = timezone.localdate()
    form = RowCheckInForm(request.POST, metric=metric, today=today)
    recorded = None
    if form.is_valid():
        assert isinstance(request.user, User)
        replacing = form.replacing()
        if replacing is not None:  # "Change it": merged with any correction made since
            recorded = form.save_correction(replacing, by=request.user)
        else:
            try:
                recorded = form.record(by=request.user)
            except CheckInConflict as conflict:
                form.add_error(None, str(conflict))
            except TooManyReadings as full:
                form.add_error(None, full)
    htmx = bool(request.htmx)
    if recorded is None:
        if not htmx:
            return _page(request, org, membership, refused=form)
        row = _row(metric, membership, today, form=form)
        context = {"org": org, "today": today, "row": row}
        return render(
            request, "metrics/my_checkins.html#checkin_row", context, status=refused_status(request)
        )
    if not htmx:
        checked_in = f"Checked in {metric.format_value(recorded.value)} for {metric.name}."
        messages.success(request, f"{checked_in} {form.merged}".strip())
        return redirect(reverse("metrics:my_checkins", args=[org.slug]) + f"#checkin-{metric.uid}")
    # The list is drawn again: the row moves to the group of when it is next due, and
    # the summary and every group's heading count it there.
    context = _body_context(org, membership, today, None, recorded=recorded)
    response = render(request, "metrics/my_checkins.html#body", context)
    response["HX-Retarget"] = "#checkin-body"
    response["HX-Reswap"] = "outerHTML"
    return response
