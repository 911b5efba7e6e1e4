from typing import Any

from django.http import HttpRequest

from orgs.access import ORG_SESSION_KEY, user_memberships


def organisations(request: HttpRequest) -> dict[str, Any]:
    """The signed-in person's organisations, for the switcher in the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    current_slug = request.session.get(ORG_SESSION_KEY)
    # Called by the template only when it shows the menu.
    return {"my_memberships": lambda: user_memberships(request), "current_org_slug": current_slug}
