from typing import Any

from django.http import HttpRequest

from orgs.access import user_memberships


def organisations(request: HttpRequest) -> dict[str, Any]:
    """The signed-in person's organisations, for the switcher in the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Called by the template only when it shows the menu.
    return {"my_memberships": lambda: user_memberships(request)}
