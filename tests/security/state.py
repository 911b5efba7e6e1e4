"""A snapshot of every row the app stores, to prove a request changed nothing."""

import functools
from typing import Any

from django.apps import apps
from django.db import connection

# Rows that legitimately change on a read, and why:
# - sessions: logging in, and remembering the organisation last visited (orgs.access);
# - usersessions: allauth records where each person is signed in, which is what it is for;
# - a share link's view counter and last view: counting views is the share page's job;
# - an API token's last use, which its owner's token pages show;
# - a person's session generation: logging out moves it on, which is how it ends their
#   other sessions (the matrix's logout POSTs really log out).
IGNORED_MODELS = {"sessions.Session"}
IGNORED_APPS = {"usersessions"}
IGNORED_FIELDS = {
    "missions.ShareLink": {"view_count", "last_viewed_at"},
    "orgs.User": {"session_generation"},
    # When an API token was last used: noting it is part of answering.
    "api.ApiToken": {"last_used_at"},
}


@functools.cache
def _queries() -> list[tuple[str, str]]:
    """(model label, SQL reading all its rows): plain SQL, as the matrix reads every table
    a few hundred times and the ORM would compile each query each time."""
    queries = []
    for model in apps.get_models(include_auto_created=True):  # many-to-many tables too
        label = model._meta.label
        if label in IGNORED_MODELS or model._meta.app_label in IGNORED_APPS:
            continue
        ignored = IGNORED_FIELDS.get(label, set())
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in ignored]
        rows = model._base_manager.order_by("pk").values_list(*fields)
        queries.append((label, str(rows.query)))
    return queries


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    with connection.cursor() as cursor:
        state = {}
        for label, sql in _queries():
            cursor.execute(sql)
            state[label] = cursor.fetchall()
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
