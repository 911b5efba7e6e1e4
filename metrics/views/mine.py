"""My check-ins: every metric a person owns, most overdue first, each with an inline form."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from metrics.forms import CheckInForm
from metrics.models import CheckIn, Confidence, Metric, MetricFormat
from metrics.progress import Status
from metrics.services import CheckInConflict, checkin_record
from missions.models import Mission
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation, User
from orgs.responses import refused_status

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
    """The metrics this person owns on the live missions they can see, in one query.

    The mission, its organisation (for links) and the goal come along, so a row of
    My check-ins reads nothing more.
    """
    missions = Mission.objects.visible_to(membership).live()
    return Metric.objects.filter(
        owner_id=membership.user_id, mission__in=missions.values("pk")
    ).select_related("mission__organisation", "goal")


def _recent_checkins() -> Prefetch:
    # One more query for every row's sparkline, however many rows: a sliced prefetch.
    recent = CheckIn.objects.filter(is_current=True).order_by("-for_date")[:SPARKLINE_POINTS]
    return Prefetch("checkins", queryset=recent, to_attr="recent")


def due_on(metric: Metric) -> date:
    # A metric nobody has checked in on yet has no stored due date: it is due a cadence
    # after its baseline (or its creation), as the reminders will count it.
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
    recent_values: list[Decimal]
    form: CheckInForm | None
    # What was checked in, when the row was (re)drawn just after, or today's reading.
    done_value: str = ""
    done_on: date | None = None


@dataclass
class DueSummary:
    overdue: int
    this_week: int
    total: int


def _checkin_form(metric: Metric, today: date, data: Any = None) -> CheckInForm:
    # Each row's fields get their own ids: a page holds one form per metric.
    form = CheckInForm(
        data,
        metric=metric,
        today=today,
        auto_id=f"checkin-{metric.uid.hex}-%s",
        label_suffix="",
        initial={"confidence": metric.latest_confidence or Confidence.ON_TRACK},
    )
    if metric.format == MetricFormat.YES_NO:
        # No answer is chosen for them: a quick tap must not record a "Yes" nobody meant.
        form.fields["value"].widget.choices = [("", "Yes or no?"), ("1", "Yes"), ("0", "No")]
    if form.is_bound and form.errors:
        first_wrong = next((name for name in form.errors if name in form.fields), None)
        if first_wrong:
            form.fields[first_wrong].widget.attrs["autofocus"] = True
    return form


def _row(
    metric: Metric,
    membership: Membership,
    today: date,
    form: CheckInForm | None = None,
    recorded: CheckIn | None = None,
) -> CheckInRow:
    due = due_on(metric)
    can_check_in = metric.can_check_in(membership, metric.mission)
    row = CheckInRow(
        metric=metric,
        due_on=due,
        due=due_state(due, today),
        overdue_days=(today - due).days,
        last_value=metric.format_value(metric.latest_value),
        target=metric.format_value(metric.target_value),
        status=metric.status(today),
        progress=metric.progress(),
        expected=metric.expected_progress(today),
        recent_values=[checkin.value for checkin in reversed(getattr(metric, "recent", []))],
        form=(form or _checkin_form(metric, today)) if can_check_in else None,
    )
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
    refused: CheckInForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    refused_uid = refused.metric.uid if refused else None
    rows = sorted(
        (
            _row(metric, membership, today, form=refused if metric.uid == refused_uid else None)
            for metric in owned_metrics(membership).prefetch_related(_recent_checkins())
        ),
        key=lambda row: (row.due_on, row.metric.mission.title.lower(), row.metric.name.lower()),
    )
    groups = [
        {"due": due, "heading": due.heading, "rows": [row for row in rows if row.due == due]}
        for due in Due
    ]
    return render(
        request,
        "metrics/my_checkins.html",
        {
            "org": org,
            "membership": membership,
            "today": today,
            "groups": [group for group in groups if group["rows"]],
            "summary": _summary([row.due for row in rows]),
        },
        status=refused_status(request) if refused else 200,
    )


@login_required
@require_GET
def my_checkins(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    return _page(request, org, membership)


@login_required
@require_POST
def my_checkin(request: HttpRequest, org_slug: str, metric_uid: Any) -> HttpResponse:
    """Record one row's check-in; for htmx, answer with the row redrawn."""
    org, membership = get_org_for_user(request, org_slug)
    # Only the rows of this page: someone else's metric is not "missing" here, it is not
    # one of theirs (404), and the metric's own page has the general form.
    metric = get_object_or_404(owned_metrics(membership), uid=metric_uid)
    if not metric.can_check_in(membership, metric.mission):
        raise PermissionDenied("Viewers read; members, mission owners and admins check in.")
    today = timezone.localdate()
    form = _checkin_form(metric, today, data=request.POST)
    recorded = None
    if form.is_valid():
        assert isinstance(request.user, User)
        try:
            recorded = checkin_record(
                metric,
                value=form.cleaned_data["value"],
                for_date=form.cleaned_data["for_date"],
                confidence=form.cleaned_data["confidence"],
                note=form.cleaned_data["note"],
                author=request.user,
            )
        except CheckInConflict as conflict:
            form.add_error(None, str(conflict))
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    if recorded is None:
        if not htmx:
            return _page(request, org, membership, refused=form)
        prefetch_related_objects([metric], _recent_checkins())
        context = {"org": org, "today": today, "row": _row(metric, membership, today, form=form)}
        return render(
            request, "metrics/my_checkins.html#checkin_row", context, status=refused_status(request)
        )
    if not htmx:
        messages.success(
            request, f"Checked in {metric.format_value(recorded.value)} for {metric.name}."
        )
        return redirect(reverse("metrics:my_checkins", args=[org.slug]) + f"#checkin-{metric.uid}")
    # Read again: the sparkline and the status include the new reading.
    metric = owned_metrics(membership).prefetch_related(_recent_checkins()).get(pk=metric.pk)
    row = _row(metric, membership, today, recorded=recorded)
    # The counts at the top of the page change too: sent along for htmx to swap out of band.
    summary = _summary([due_state(due_on(m), today) for m in owned_metrics(membership)])
    context = {"org": org, "today": today, "row": row, "summary": summary, "oob": True}
    html = render_to_string("metrics/my_checkins.html#checkin_row", context, request) + (
        render_to_string("metrics/my_checkins.html#summary", context, request)
    )
    return HttpResponse(html)
