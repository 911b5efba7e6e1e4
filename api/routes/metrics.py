"""Metrics with their stored figures, their check-ins, and recording one.

A check-in is recorded as the check-in page records it: through metrics.forms.CheckInForm
(the same checks of the value and the date) and metrics.services.checkin_record (the
stored figures, the history and the audit trail), as the token's owner.
"""

from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Status

from api.access import Caller, uid_or_404
from api.edits import as_token
from api.idempotency import HEADER, Answer, fingerprint, once
from api.models import Scope
from api.pagination import Order
from api.problems import Problem, field_errors
from api.requests import ListQuery, answer, caller, today_in
from api.schemas import (
    CheckInIn,
    CheckInOut,
    CheckInPage,
    MetricOut,
    MetricPage,
    ProblemOut,
    checkin_out,
    metric_out,
)
from core.csv_safety import plain_number
from metrics.access import metric_for_member
from metrics.forms import CheckInForm
from metrics.models import CheckIn, Metric, TooManyReadings
from metrics.services import CheckInConflict
from missions.access import mission_for_member
from missions.models import Mission

router = Router(tags=["metrics"])


class MetricQuery(ListQuery):
    mission: str | None = Field(None, description="Only this mission's (its slug).")


class CheckInQuery(MetricQuery):
    metric: str | None = Field(None, description="Only this metric's (its uid).")


def _metrics(you: Caller, org: str, mission: str | None) -> QuerySet[Metric]:
    you.organisation_for(org)
    missions = Mission.objects.visible_to(you.membership)
    if mission is not None:
        missions = missions.filter(pk=mission_for_member(you.membership, mission).pk)
    return Metric.objects.filter(mission__in=missions)


@router.get("/orgs/{org}/metrics", response=MetricPage, url_name="metrics")
def metrics(request: HttpRequest, org: str, query: Query[MetricQuery]) -> HttpResponse:
    """Metrics with their latest reading, stored progress and today's status."""
    you = caller(request)
    # The trend (a year of readings) and the mission's figures are not sent: not read.
    rows = (
        _metrics(you, org, query.mission)
        .select_related("mission", "goal", "owner")
        .defer("trend", "mission__expected_path", "goal__expected_path")
    )
    found, after = query.page(rows, Order("updated_at", "uid"))
    today = today_in(you.organisation)
    return answer(MetricPage(items=[metric_out(metric, today) for metric in found], next=after))


@router.get("/orgs/{org}/metrics/{metric_uid}", response=MetricOut, url_name="metric")
def metric(request: HttpRequest, org: str, metric_uid: str) -> MetricOut:
    you = caller(request)
    you.organisation_for(org)
    found = metric_for_member(you.membership, uid_or_404(metric_uid))
    return metric_out(found, today_in(you.organisation))


@router.get("/orgs/{org}/checkins", response=CheckInPage, url_name="checkins")
def checkins(request: HttpRequest, org: str, query: Query[CheckInQuery]) -> HttpResponse:
    """Check-ins, oldest first, corrected ones too (`is_current` false, and the correction's
    `corrects` names them). A check-in never changes: `updated_since` is its creation."""
    you = caller(request)
    metrics = _metrics(you, org, query.mission)
    if query.metric is not None:
        metrics = metrics.filter(uid=uid_or_404(query.metric))
    rows = (
        CheckIn.objects.filter(metric__in=metrics)
        .select_related("author")
        .annotate(metric_uid=F("metric__uid"), corrects_uid=F("corrects__uid"))
    )
    found, after = query.page(rows, Order("created_at", "uid"))
    items = [
        checkin_out(
            row,
            str(row.metric_uid),  # type: ignore[attr-defined]  # annotated above
            str(row.corrects_uid) if row.corrects_uid else None,  # type: ignore[attr-defined]
        )
        for row in found
    ]
    return answer(CheckInPage(items=items, next=after))


@router.post(
    "/orgs/{org}/metrics/{metric_uid}/checkins",
    response={201: CheckInOut, 403: ProblemOut, 404: ProblemOut, 422: ProblemOut},
    url_name="checkin_create",
)
def checkin_create(
    request: HttpRequest,
    org: str,
    metric_uid: str,
    payload: CheckInIn,
    response: HttpResponse,
    idempotency_key: str | None = Header(None, alias=HEADER),
) -> Status[dict[str, object]]:
    """Record a reading, as the check-in page does: a second one for the same date corrects
    the first (the earlier value stays in the history). Send an `Idempotency-Key` (a new
    UUID per reading) and a retried request records it once: the retry gets the first
    answer again, with `Idempotent-Replayed: true`."""
    you = caller(request)
    you.require(Scope.CHECK_IN)
    you.organisation_for(org)
    found = metric_for_member(you.membership, uid_or_404(metric_uid), check_in=True)
    print_ = fingerprint("POST", request.path, payload.model_dump(mode="json"))
    answer = once(you.token, idempotency_key, print_, lambda: _record(you, found, payload))
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(answer.status, answer.body)


def _record(you: Caller, metric: Metric, payload: CheckInIn) -> Answer:
    today = today_in(you.organisation)
    form = CheckInForm(
        {
            "value": plain_number(payload.value),
            "confidence": payload.confidence,
            "note": payload.note,
            "for_date": (payload.for_date or today).isoformat(),
        },
        metric=metric,
        today=today,
    )
    if not form.is_valid():
        # A form-wide error is about the reading itself.
        raise field_errors(
            {
                (name if name in form.fields else "value"): [str(error) for error in errs]
                for name, errs in form.errors.items()
            }
        )
    try:
        with as_token(you):
            checkin = form.record(by=you.token.owner)
    except TooManyReadings as full:
        raise field_errors({"for_date": list(full.messages)}) from None
    except CheckInConflict as clash:
        raise Problem(409, "conflict", str(clash)) from None
    corrects = checkin.corrects.uid if checkin.corrects_id else None  # type: ignore[union-attr]
    body = checkin_out(checkin, str(metric.uid), str(corrects) if corrects else None)
    return Answer(201, body.model_dump(mode="json"))
