"""The change history of a mission and of a metric, for the organisation's admins."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.models import Change, Subject
from metrics.access import get_metric_for_user
from missions.access import get_mission_for_user
from orgs.access import get_org_for_user
from orgs.models import Organisation
from orgs.roles import Role
from reporting.history import entries

PER_PAGE = 25


def _history(
    request: HttpRequest,
    org: Organisation,
    changes: QuerySet[Change],
    context: dict[str, Any],
) -> HttpResponse:
    # A page number that is not one shows the nearest page rather than an error.
    page = Paginator(changes.order_by("-at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/history.html",
        context
        | {
            "org": org,
            "page": page,
            "entries": entries(list(page.object_list), org, context.get("metric")),
        },
    )


@login_required
@require_GET
def mission_history(request: HttpRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    """The mission, its goals and its metrics; the metrics' check-ins are on their own pages."""
    # The role first: a member learns nothing more from a 403 than that they lack it.
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    _, _, mission = get_mission_for_user(request, org_slug, mission_slug)
    changes = Change.objects.filter(organisation=org, mission_ref=mission.pk).exclude(
        subject=Subject.CHECKIN
    )
    return _history(request, org, changes, {"membership": membership, "mission": mission})


@login_required
@require_GET
def metric_history(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: Any
) -> HttpResponse:
    """The metric and its check-ins, corrections included."""
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    _, _, mission, metric = get_metric_for_user(request, org_slug, mission_slug, metric_uid)
    changes = Change.objects.filter(organisation=org, metric_ref=metric.pk)
    return _history(
        request, org, changes, {"membership": membership, "mission": mission, "metric": metric}
    )
