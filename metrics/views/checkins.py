"""Recording a check-in on its own page, and correcting one."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from core.responses import form_status
from metrics.access import get_metric_for_user
from metrics.forms import CheckInForm
from metrics.models import CheckIn, Metric, TooManyReadings
from orgs.models import User


def _next_url(request: HttpRequest, metric: Metric) -> str:
    """Back where the person came from (an email link, My check-ins), or the metric page."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site: anything else (a bare word) would be taken for a URL name.
    local = wanted.startswith("/")
    if local and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return metric_url(metric)


def metric_url(metric: Metric) -> str:
    mission = metric.mission
    return reverse("metrics:detail", args=[mission.organisation.slug, mission.slug, metric.uid])


def previous_reading(metric: Metric) -> CheckIn | None:
    return (
        metric.checkins.filter(is_current=True)
        .select_related("author")
        .order_by("-for_date", "-created_at")
        .first()
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin_create(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: Any
) -> HttpResponse:
    org, membership, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, metric_uid, check_in=True
    )
    today = timezone.localdate()
    initial: dict[str, Any] = {}
    if request.method == "GET" and "value" in request.GET:
        initial["value"] = request.GET["value"]  # prefilled from a reminder's link
    form = CheckInForm(request.POST or None, metric=metric, today=today, initial=initial)
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        try:
            form.record(by=request.user)
        except TooManyReadings as full:
            form.add_error(None, full)
        else:
            messages.success(
                request,
                f"Checked in {metric.format_value(form.cleaned_data['value'])} for {metric}.",
            )
            return redirect(_next_url(request, metric))
    return render(
        request,
        "metrics/checkin_form.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "metric": metric,
            "form": form,
            "previous": previous_reading(metric),
            "next": _next_url(request, metric),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin_correct_view(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: Any, checkin_uid: Any
) -> HttpResponse:
    org, membership, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, metric_uid, check_in=True
    )
    checkin = get_object_or_404(metric.checkins.select_related("author"), uid=checkin_uid)
    today = timezone.localdate()
    if not checkin.is_current and request.method == "GET":
        latest = metric.checkins.filter(is_current=True, for_date=checkin.for_date).first()
        if latest is None:
            raise Http404
        messages.info(request, "That value has since been corrected; this is the latest.")
        return redirect("metrics:correct", org.slug, mission.slug, metric.uid, latest.uid)
    # The correction starts from the reading it replaces; a post is read against it.
    form = CheckInForm(
        request.POST or None,
        metric=metric,
        today=today,
        instance=None,
        initial=CheckInForm.starting_from(checkin),
    )
    # The date of a reading is what identifies it; a correction changes what was read.
    form.fields["for_date"].disabled = True
    action = ""
    if request.method == "POST":
        assert isinstance(request.user, User)
        if form.save_correction(checkin, by=request.user):
            said = "Check-in corrected. The earlier value is kept in the history."
            messages.success(request, f"{said} {form.merged}".strip())
            return redirect(_next_url(request, metric))
        if form.corrects != checkin:
            # Saving again replaces the correction stored now.
            replaces = form.corrects.uid
            action = reverse("metrics:correct", args=[org.slug, mission.slug, metric.uid, replaces])
    # What is stored now for that date: beside what they typed, after a conflict.
    stored = (
        metric.checkins.filter(is_current=True, for_date=checkin.for_date)
        .select_related("author")
        .first()
    )
    return render(
        request,
        "metrics/checkin_form.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "metric": metric,
            "form": form,
            "correcting": checkin,
            "conflict": form.conflict,
            "previous": stored,
            "action": action,
            "next": _next_url(request, metric),
        },
        status=form_status(request, form),
    )
