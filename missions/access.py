"""Finding a mission for a request: the organisation's access helper first, then the mission."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from missions.models import Mission, MissionQuerySet
from orgs import policy
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation
from orgs.roles import Role


def get_mission_for_user(
    request: HttpRequest,
    org_slug: str,
    mission_slug: str,
    *,
    edit: bool = False,
    min_role: str = Role.VIEWER,
    queryset: MissionQuerySet | None = None,
) -> tuple[Organisation, Membership, Mission]:
    """The mission if this person may see it (404 otherwise, like a missing one).

    `edit=True` also requires the right to change it: an admin or the mission's owner.
    """
    org, membership = get_org_for_user(request, org_slug, min_role=min_role)
    mission = mission_for_member(membership, mission_slug, edit=edit, queryset=queryset)
    return org, membership, mission


def mission_for_member(
    membership: Membership,
    mission_slug: str,
    *,
    edit: bool = False,
    queryset: MissionQuerySet | None = None,
) -> Mission:
    """The mission of the membership's organisation if they may see it (404 otherwise);
    `edit=True` also requires the right to change it. The pages ask through
    `get_mission_for_user`, the API (api.access) with its token's membership."""
    missions = (queryset if queryset is not None else Mission.objects.all()).visible_to(membership)
    mission = missions.select_related("owner").filter(slug=mission_slug).first()
    if mission is None:
        raise Http404
    mission.organisation = membership.organisation  # already loaded; saves a query for URLs
    if edit and not policy.can_edit_mission(membership, mission):
        raise PermissionDenied("Only admins and the mission's owner can change it.")
    return mission
