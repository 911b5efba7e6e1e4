"""Every API route, with every kind of token, with every method.

The victim organisation (tests/security/conftest.py) is walked with a token of each of
its roles with each scope, alone and all together, and with tokens of another
organisation. What each should get follows from the one policy: a GET needs `read`; a
check-in needs `check-in` and the right to record on that metric (admins, the mission's
owner, the metric's owner: the walked metric is the member's); a PATCH needs `write` and
the right to edit the mission (admins and its owner: the walked mission is the owner's);
a method a route does not take is 405. Along the way: another organisation's token gets
the same answer as for an organisation that does not exist, the victim's secrets never
reach it (nor a private mission's, a token of someone who cannot see it), a private
mission's addresses look missing to those tokens, and a refused request changes no
stored row.
"""

import json
from itertools import product

import pytest
from django.db import transaction
from django.test import Client

from api.models import ApiToken, Scope
from api.schemas import milestone_version
from missions.models import Goal, Milestone, Mission
from tests.security.conftest import PRIVATE_SECRETS, SECRETS
from tests.security.state import changes, snapshot
from tests.security.url_access import all_patterns

# A PATCH shares its address, and so its name, with the GET of the same row: walked once.
ROUTES = list(
    {p.key: p for p in all_patterns() if p.key.startswith("api:") and "org" in p.arguments}.values()
)
ROLES = ("viewer", "member", "admin", "owner")
SCOPE_SETS = {
    "read": (Scope.READ,),
    "check-in": (Scope.CHECK_IN,),
    "write": (Scope.WRITE,),
    "all": (Scope.READ, Scope.CHECK_IN, Scope.WRITE),
}
# POST routes, and the routes that also take PATCH: the rest take GET only.
POSTS = {"api:checkin_create"}
PATCHES = {"api:mission", "api:goal", "api:milestone"}
METHODS = ("get", "post", "patch")
# Who may record a reading on the walked metric (the member's, on the owner's mission).
CHECKERS = {"member", "admin", "owner"}
# Who may change the walked mission, its goals and milestones (the owner's).
EDITORS = {"admin", "owner"}
READING = {"value": "21", "confidence": "on_track", "note": "Matrix reading"}


@pytest.fixture(scope="module")
def tokens(walked, django_db_blocker) -> dict[str, str]:
    """A secret for each (role, scopes) of the victim, and for the other organisation."""
    cast, _, _ = walked
    made = {}
    with django_db_blocker.unblock():
        for role, (name, scopes) in product(ROLES, SCOPE_SETS.items()):
            user = getattr(cast, role)
            made[f"{role}/{name}"] = _token(cast.org, user, role, scopes)
        for name in ("read", "all"):
            made[f"outsider/{name}"] = _token(
                cast.other_org, cast.outsider, "owner", SCOPE_SETS[name]
            )
    return made


def _token(org, user, role, scopes) -> str:
    token = ApiToken(organisation=org, owner=user, name="Matrix", role=role, scopes=list(scopes))
    secret = token.issue()
    token.save()
    return secret


def send(method: str, path: str, secret: str, key: str = "", values: dict[str, str] | None = None):
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    if method == "get":
        return client.get(path)
    if method == "patch":
        body = json.dumps(edit(key, values or {}))
        return client.patch(path, body, content_type="application/json")
    return client.post(path, json.dumps(READING), content_type="application/json")


def edit(route_key: str, values: dict[str, str]) -> dict[str, object]:
    """A PATCH that would be saved: a new title, at the version stored now of the row the
    route changes."""
    if route_key == "api:goal":
        version = Goal.objects.get(uid=values["goal_uid"]).version
    elif route_key == "api:milestone":
        version = milestone_version(Milestone.objects.get(uid=values["milestone_uid"]).updated_at)
    else:
        mission = Mission.objects.filter(slug=values.get("mission_slug", "")).first()
        version = mission.version if mission is not None else 1
    return {"version": version, "title": "Matrix title"}


def expected(route_key: str, actor: str, method: str) -> int:
    role, scopes_name = actor.split("/")
    scopes = SCOPE_SETS[scopes_name]
    if method == "patch":
        if route_key not in PATCHES:
            return 405
        if Scope.WRITE not in scopes:
            return 403
        if role == "outsider":
            return 404
        return 200 if role in EDITORS else 403
    if (method == "post") != (route_key in POSTS):
        return 405
    if method == "get":
        if Scope.READ not in scopes:
            return 403
        return 404 if role == "outsider" else 200
    if Scope.CHECK_IN not in scopes:
        return 403
    if role == "outsider":
        return 404
    return 201 if role in CHECKERS else 403


def leaked(actor: str, text: str) -> list[str]:
    role = actor.split("/")[0]
    secrets = list(PRIVATE_SECRETS.values()) if role in ("viewer", "member", "outsider") else []
    if role == "outsider":
        secrets += SECRETS.values()
    return [secret for secret in secrets if secret in text]


def test_every_api_route_is_walked():
    keys = {route.key for route in ROUTES}
    assert "api:checkin_create" in keys and "api:report" in keys
    assert keys >= PATCHES
    assert len(ROUTES) >= 15


@pytest.mark.parametrize("route", ROUTES, ids=[r.key for r in ROUTES])
def test_every_token_gets_what_the_policy_says(route, walked, tokens, db):
    _, victim, _ = walked
    values = victim.values | victim.per_pattern.get(route.key, {})
    path = route.path(values)
    problems = []
    before = snapshot()
    for (actor, secret), method in product(tokens.items(), METHODS):
        wanted = expected(route.key, actor, method)
        if wanted == 201 or (method == "patch" and wanted == 200):
            # An allowed write may do what it does; it is undone for the next token.
            with transaction.atomic():
                response = send(method, path, secret, route.key, values)
                transaction.set_rollback(True)
        else:
            response = send(method, path, secret, route.key, values)
        text = response.content.decode()
        if response.status_code != wanted:
            problems.append(
                f"{actor} {method.upper()} {path}: {response.status_code}, not {wanted}"
            )
        if response.status_code >= 400 and response["Content-Type"] != "application/problem+json":
            problems.append(f"{actor} {method.upper()} {path}: not problem details")
        problems += [f"{actor} {method} {path}: shows {s!r}" for s in leaked(actor, text)]
        if actor.startswith("outsider/"):
            nowhere = send(
                method, route.path(values | {"org": "no-org"}), secret, route.key, values
            )
            if (nowhere.status_code, nowhere.content) != (response.status_code, response.content):
                problems.append(f"{actor} {method.upper()} {path}: unlike a missing org's")
    written = changes(before, snapshot())
    if written:
        problems.append(f"refused requests to {path} changed stored rows: {written}")
    assert not problems, "\n".join(problems)


PRIVATE_ROUTES = [
    r
    for r in ROUTES
    if {"mission_slug", "goal_uid", "milestone_uid", "metric_uid", "report_uid"} & set(r.arguments)
    or r.key in {"api:goals", "api:milestones", "api:metrics", "api:checkins"}
]


@pytest.mark.parametrize("route", PRIVATE_ROUTES, ids=[r.key for r in PRIVATE_ROUTES])
def test_a_private_mission_is_missing_to_tokens_of_those_who_cannot_see_it(
    route, walked, tokens, db
):
    _, victim, _ = walked
    missing = victim.private | {
        "mission_slug": "no-such-mission",
        "goal_uid": "00000000-0000-4000-8000-000000000000",
        "milestone_uid": "00000000-0000-4000-8000-000000000000",
        "metric_uid": "00000000-0000-4000-8000-000000000000",
        "report_uid": "00000000-0000-4000-8000-000000000000",
    }
    methods = ["post"] if route.key in POSTS else ["get"]
    methods += ["patch"] if route.key in PATCHES else []
    query = (
        f"?mission={victim.private['mission_slug']}"
        if "mission_slug" not in route.arguments
        else ""
    )
    problems = []
    before = snapshot()
    for role, method in product(("viewer", "member"), methods):
        secret = tokens[f"{role}/all"]
        response = send(
            method, route.path(victim.private) + query, secret, route.key, victim.private
        )
        nowhere_query = "?mission=no-such-mission" if query else ""
        nowhere = send(
            method, route.path(missing) + nowhere_query, secret, route.key, victim.private
        )
        if query == "" and response.status_code != 404:
            problems.append(f"{role}: {method} {route.key} answered {response.status_code}")
        if (response.status_code, response.content) != (nowhere.status_code, nowhere.content):
            problems.append(f"{role}: {method} {route.key} unlike a missing mission's")
        problems += [
            f"{role}: shows {s!r}" for s in leaked(f"{role}/all", response.content.decode())
        ]
    assert not changes(before, snapshot())
    assert not problems, "\n".join(problems)
