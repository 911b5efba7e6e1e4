"""A snapshot of every row the app stores, to prove a request changed nothing."""

from typing import Any

from django.apps import apps

# Rows that legitimately change on a read, and why:
# - sessions: logging in, and remembering the organisation last visited (orgs.access);
# - axes: django-axes records login attempts, which is what it is for;
# - a share link's view counter and last view: counting views is the share page's job.
IGNORED_MODELS = {"sessions.Session"}
IGNORED_APPS = {"axes"}
IGNORED_FIELDS = {"missions.ShareLink": {"view_count", "last_viewed_at"}}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in IGNORED_MODELS or model._meta.app_label in IGNORED_APPS:
            continue
        ignored = IGNORED_FIELDS.get(label, set())
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in ignored]
        state[label] = list(model._base_manager.order_by("pk").values_list(*fields))
    return state


def changes(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]):
    """The models whose rows differ, with the rows that appeared or went."""
    found = {}
    for label, rows in before.items():
        if after[label] != rows:
            gone = [row for row in rows if row not in after[label]]
            new = [row for row in after[label] if row not in rows]
            found[label] = {"gone": gone, "new": new}
    return found
