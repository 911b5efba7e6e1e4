"""The permission policy in templates: `{% may "edit_mission" mission as can_edit %}`.

The membership is the page's own (`membership` in its context).
"""

from collections.abc import Callable
from typing import Any

from django import template

from orgs import policy

register = template.Library()

# A membership's own rights (can_manage, can_contribute) are properties templates read;
# these need the object too.
RULES: dict[str, Callable[..., bool]] = {
    "see_mission": policy.can_see_mission,
    "edit_mission": policy.can_edit_mission,
    "check_in": policy.can_check_in,
    "menu": policy.in_menu,
}


@register.simple_tag(takes_context=True)
def may(context: template.Context, rule: str, *objects: Any) -> bool:
    membership = context.get("membership")
    return membership is not None and RULES[rule](membership, *objects)
