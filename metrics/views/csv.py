"""Importing a metric's history from a CSV file, and exporting a metric's or a mission's."""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import F
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from metrics import csv_io
from metrics.access import get_metric_for_user
from metrics.csv_io import CsvFileError, ImportPlan
from metrics.models import CheckIn, CheckInImport, Metric, TooManyImports, TooManyReadings
from metrics.services import CheckInConflict, checkins_import
from missions.access import get_mission_for_user
from orgs.models import User

# The file travels from the preview to the confirm inside a signed field, so the confirm
# saves what was previewed without keeping state on the server; it is read and checked
# again on confirm, because the metric (or "today") may have changed in between.
PREVIEW_MAX_AGE = 60 * 60


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty.",
        },
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )


def _salt(metric: Metric, user: Any) -> str:
    # A preview only confirms for the person and the metric it was made for.
    return f"metrics.csv-import:{metric.uid}:{user.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def metric_import(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: Any
) -> HttpResponse:
    org, membership, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, metric_uid, check_in=True
    )
    context = {"org": org, "membership": membership, "mission": mission, "metric": metric}
    if request.method == "GET":
        return _page(request, context | {"form": UploadForm()}, status=200)
    if "payload" in request.POST:
        return _confirm(request, metric, context)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, context | {"form": form}, status=400)
    try:
        CheckInImport.objects.room_for_one(org.pk)
    except TooManyImports as error:
        form.add_error("file", error)
        return _page(request, context | {"form": form}, status=429)
    upload = form.cleaned_data["file"]
    try:
        # Refused before reading, so a huge upload never lands in memory.
        if upload.size > csv_io.MAX_BYTES:
            raise CsvFileError(csv_io.TOO_LARGE)
        text = csv_io.decode(upload.read())
        plan = _plan(text, metric)
    except CsvFileError as error:
        form.add_error("file", str(error))
        return _page(request, context | {"form": form}, status=400)
    return _preview(request, context, text, plan)


def _plan(text: str, metric: Metric) -> ImportPlan:
    return csv_io.plan_import(
        text, metric, today=timezone.localdate(), current=csv_io.current_checkins(metric)
    )


def _preview(
    request: HttpRequest,
    context: dict[str, Any],
    text: str,
    plan: ImportPlan,
    *,
    notice: str = "",
    status: int | None = None,
) -> HttpResponse:
    metric: Metric = context["metric"]
    payload = ""
    if not plan.errors and plan.to_save:
        payload = signing.dumps(
            {"csv": text, "plan": plan.fingerprint()},
            salt=_salt(metric, request.user),
            compress=True,
        )
    return _page(
        request,
        context | {"form": UploadForm(), "plan": plan, "payload": payload, "notice": notice},
        status=status or (400 if plan.errors else 200),
    )


class PreviewRefused(Exception):
    """The confirmed preview isn't one this page made, for this person, in the last hour."""


def _unsign(request: HttpRequest, metric: Metric) -> tuple[str, str]:
    """The previewed file and what its preview said would be saved."""
    try:
        signed = signing.loads(
            request.POST["payload"], salt=_salt(metric, request.user), max_age=PREVIEW_MAX_AGE
        )
        return str(signed["csv"]), str(signed["plan"])
    except signing.SignatureExpired as error:
        raise PreviewRefused(
            "That preview is more than an hour old. Upload the file again."
        ) from error
    except (signing.BadSignature, KeyError, TypeError) as error:
        raise PreviewRefused(
            "That import couldn't be checked, so nothing was saved. Upload the file again."
        ) from error


def _confirm(request: HttpRequest, metric: Metric, context: dict[str, Any]) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        text, previewed = _unsign(request, metric)
        plan = _plan(text, metric)
    except (PreviewRefused, CsvFileError) as error:
        return _page(request, context | {"form": UploadForm(), "notice": str(error)}, status=400)
    if plan.errors or plan.fingerprint() != previewed:
        # A check-in recorded meanwhile, a changed baseline, or a new day: show what now.
        notice = (
            "This metric's values changed since your preview, so nothing was saved. "
            "Check the rows again."
        )
        return _preview(request, context, text, plan, notice=notice, status=409)
    try:
        saved = checkins_import(metric, plan.readings(), author=request.user)
    except CheckInConflict:
        notice = (
            "Someone recorded a value for this metric while the import was saving, "
            "so nothing was saved. Upload the file again to see the latest."
        )
        return _page(request, context | {"form": UploadForm(), "notice": notice}, status=409)
    except (TooManyReadings, TooManyImports) as error:
        status = 429 if isinstance(error, TooManyImports) else 400
        notice = f"Nothing was saved. {error.message}"
        return _page(request, context | {"form": UploadForm(), "notice": notice}, status=status)
    message = f"Imported {len(saved)} value{pluralize(len(saved))} for {metric}."
    replaced = sum(1 for checkin in saved if checkin.corrects_id)
    if replaced == 1:
        message += " 1 of them replaced an earlier value, which stays in the history."
    elif replaced:
        message += f" {replaced} of them replaced earlier values, which stay in the history."
    messages.success(request, message)
    mission = metric.mission
    return redirect("metrics:detail", mission.organisation.slug, mission.slug, metric.uid)


def _page(request: HttpRequest, context: dict[str, Any], *, status: int) -> HttpResponse:
    return render(request, "metrics/import.html", context, status=status)


# Check-ins an export reads from the database at a time: it streams, so a long history
# never sits in memory whole, as rows or as the file.
EXPORT_CHUNK = 1000


class _Line:
    """What csv.writer writes to: it hands each line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def _csv_response(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        # A byte-order mark, so that Excel opens the file as UTF-8 (£, é, –) rather than
        # guessing.
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def metric_export(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: Any
) -> StreamingHttpResponse:
    _, _, mission, metric = get_metric_for_user(request, org_slug, mission_slug, metric_uid)
    # The id breaks ties: a correction is always written after the value it replaces.
    checkins = (
        metric.checkins.select_related("author", "correction__author")
        .order_by("for_date", "created_at", "id")
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    today = timezone.localdate()
    name = slugify(f"{mission.slug} {metric.name}")[:80]
    # The rows are written after the view returns, once the organisation's time zone is
    # no longer the current one: they are given it.
    rows = csv_io.metric_export_rows(checkins, timezone.get_current_timezone())
    return _csv_response(rows, f"{name}-{today:%Y-%m-%d}.csv")


@login_required
@require_GET
def mission_export(request: HttpRequest, org_slug: str, mission_slug: str) -> StreamingHttpResponse:
    _, _, mission = get_mission_for_user(request, org_slug, mission_slug)
    checkins = (
        CheckIn.objects.filter(metric__mission=mission, is_current=True)
        .select_related("metric__goal", "author")
        .order_by(
            F("metric__goal__position").asc(nulls_last=True),
            "metric__position",
            "metric_id",
            "for_date",
        )
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    today = timezone.localdate()
    rows = csv_io.mission_export_rows(checkins, timezone.get_current_timezone())
    return _csv_response(rows, f"{mission.slug}-check-ins-{today:%Y-%m-%d}.csv")
