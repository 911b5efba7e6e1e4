from typing import Any

from django.http import HttpRequest

from orgs.access import ORG_SESSION_KEY, user_memberships
from orgs.models import Membership


def organisations(request: HttpRequest) -> dict[str, Any]:
    """The signed-in person's organisations, for the switcher in the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships() -> list[Membership]:
        return user_memberships(request)

    current_slug = request.session.get(ORG_SESSION_KEY)
    return {"my_memberships": memberships, "current_org_slug": current_slug}
