"""Finding a metric for a request, through the mission's (and so the organisation's) access."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from metrics.models import Metric
from missions.access import get_mission_for_user
from missions.models import Mission
from orgs import policy
from orgs.models import Membership, Organisation


def get_metric_for_user(
    request: HttpRequest,
    org_slug: str,
    mission_slug: str,
    metric_uid: Any,
    *,
    check_in: bool = False,
    edit: bool = False,
) -> tuple[Organisation, Membership, Mission, Metric]:
    """The metric if this person may see its mission (404 otherwise).

    `check_in=True` also requires the right to record readings: admins, the mission's
    owner and the metric's owner. `edit=True` requires the right to change the mission
    the metric measures.
    """
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=edit)
    metric = metric_of_mission(membership, mission, metric_uid, check_in=check_in)
    return org, membership, mission, metric


def metric_of_mission(
    membership: Membership, mission: Mission, metric_uid: Any, *, check_in: bool = False
) -> Metric:
    """The mission's metric (404 otherwise), once the mission itself was found for this
    membership; `check_in=True` also requires the right to record readings."""
    metric = (
        Metric.objects.select_related("goal", "owner")
        .filter(mission=mission, uid=metric_uid)
        .first()
    )
    if metric is None:
        raise Http404
    metric.mission = mission
    if check_in and not policy.can_check_in(membership, metric, mission):
        raise PermissionDenied("Only admins, the mission's owner and the metric's owner check in.")
    return metric


def metric_for_member(membership: Membership, metric_uid: Any, *, check_in: bool = False) -> Metric:
    """A metric of the membership's organisation found by its uid alone (the API's
    addresses), if they may see its mission (404 otherwise); `check_in=True` also
    requires the right to record readings."""
    missions = Mission.objects.visible_to(membership)
    metric = (
        Metric.objects.select_related("goal", "owner", "mission__organisation")
        .filter(mission__in=missions, uid=metric_uid)
        .first()
    )
    if metric is None:
        raise Http404
    if check_in and not policy.can_check_in(membership, metric, metric.mission):
        raise PermissionDenied("Only admins, the mission's owner and the metric's owner check in.")
    return metric
