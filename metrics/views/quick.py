"""Checking in from a reminder's link: one metric, one tap (metrics.checkin_links)."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from metrics.access import get_metric_for_user
from metrics.checkin_links import LinkExpired, QuickLink, prefill_value, quick_link
from metrics.forms import CheckInForm
from metrics.models import Metric, TooManyReadings
from metrics.views.checkins import previous_reading
from orgs.forms import remember_login_email
from orgs.models import User


def _closed(request: HttpRequest, org_slug: str, reason: str, status: int) -> HttpResponse:
    return render(
        request,
        "metrics/quick_checkin_closed.html",
        {"reason": reason, "org_slug": org_slug},
        status=status,
    )


def _linked_metric(org_slug: str, link: QuickLink) -> Metric:
    metric = (
        Metric.objects.select_related("owner", "mission__owner")
        .filter(uid=link.metric_uid, mission__organisation__slug=org_slug)
        .first()
    )
    if metric is None:
        raise Http404
    return metric


def _to_login(request: HttpRequest, org_slug: str, link: QuickLink) -> HttpResponse:
    """Signed out: the login page asks only for the password of the person the link was
    sent to (they look after the metric or its mission), and comes back here."""
    metric = _linked_metric(org_slug, link)
    person = next((u for u in (metric.owner, metric.mission.owner) if u and link.is_for(u)), None)
    if person is None:  # no longer theirs to check in on
        return _closed(request, org_slug, "not_theirs", 404)
    remember_login_email(request, person.email)
    return redirect(reverse("account_login") + "?" + urlencode({"next": request.get_full_path()}))


@require_http_methods(["GET", "POST"])
def quick_checkin(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    try:
        link = quick_link(token)
    except LinkExpired:
        return _closed(request, org_slug, "expired", 410)
    if link is None:
        raise Http404
    if not request.user.is_authenticated:
        return _to_login(request, org_slug, link)
    assert isinstance(request.user, User)
    if not link.is_for(request.user):
        return _closed(request, org_slug, "someone_else", 403)
    mission_slug = _linked_metric(org_slug, link).mission.slug
    org, membership, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, link.metric_uid, check_in=True
    )
    form = CheckInForm(
        request.POST or None,
        metric=metric,
        today=timezone.localdate(),
        initial={"value": prefill_value(metric)},
    )
    form.fields["value"].widget.attrs["autofocus"] = True
    my_checkins = reverse("metrics:my_checkins", args=[org.slug])
    if request.method == "POST" and form.is_valid():
        try:
            form.record(by=request.user)
        except TooManyReadings as full:
            form.add_error(None, full)
        else:
            value = metric.format_value(form.cleaned_data["value"])
            messages.success(request, f"Checked in {value} for {metric}.")
            return redirect(my_checkins + f"#checkin-{metric.uid}")
    context: dict[str, Any] = {
        "org": org,
        "membership": membership,
        "mission": mission,
        "metric": metric,
        "form": form,
        "previous": previous_reading(metric),
        "next": my_checkins,
        "quick": True,
    }
    return render(request, "metrics/checkin_form.html", context, status=400 if form.errors else 200)
