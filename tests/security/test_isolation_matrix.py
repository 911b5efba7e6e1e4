"""Every URL pattern, as every kind of visitor, with every method.

Each pattern the URL configuration holds (tests/security/url_access.py finds them all) is
requested as anonymous, as an outsider who owns another organisation, and as the victim
organisation's viewer, member, admin and owner, with GET, POST and an htmx POST; what
each should get is the pattern's declared rule. Along the way: outsiders' 404s are the
same page as for an organisation that does not exist, the victim's secret marker strings
never reach anyone outside it (nor a private mission's, anyone who cannot see it), no GET
changes a stored row, and neither does a refused POST. A private mission's pages are, to
the viewer and member who cannot see it, the same as a missing mission's.

The size of the matrix: `pytest tests/security -q -rA -k matrix_size` prints it.
"""

import re
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse

from reporting import pdf
from tests.conftest import server_error
from tests.security.conftest import PRIVATE_SECRETS, SECRETS
from tests.security.state import changes, snapshot
from tests.security.url_access import (
    ACCESS,
    ACTORS,
    ADMIN_LOGIN,
    FORBIDDEN,
    LOGIN,
    METHODS,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    all_patterns,
    covered,
)

PATTERNS = all_patterns()
POSTED = {"role": "owner", "organisation": "other-co", "name": "Hijacked", "title": "Hijacked"}
REFUSALS = {401, 403, 404, 405}


def test_every_pattern_has_a_declared_rule():
    keys = set(ACCESS)
    missing = [p.key for p in PATTERNS if not covered(p.key, keys)]
    assert not missing, f"declare who may use these in tests/security/url_access.py: {missing}"


def test_every_declared_rule_names_a_pattern_that_exists():
    stale = [key for key in ACCESS if not any(covered(p.key, {key}) for p in PATTERNS)]
    assert not stale, f"these patterns are gone; remove them from ACCESS: {stale}"


def test_the_walk_finds_pages_of_every_kind():
    keys = {p.key for p in PATTERNS}
    kinds = {
        "reporting:dashboard",
        "orgs:member_role",
        "share_page",
        "account_login",
        "admin:index",
    }
    assert kinds <= keys
    assert sum(p.org_scoped for p in PATTERNS) >= 60


def test_matrix_size():
    org_scoped = sum(p.org_scoped for p in PATTERNS)
    cases = len(PATTERNS) * len(ACTORS) * len(METHODS)
    private = len(PRIVATE_WALK) * 2 * len(METHODS)
    print(
        f"\nisolation matrix: {len(PATTERNS)} URL patterns ({org_scoped} org-scoped) "
        f"x {len(ACTORS)} actors x {len(METHODS)} methods = {cases} requests checked, "
        f"each outsider one ({org_scoped * len(METHODS)}) compared with the same request "
        f"to an organisation that does not exist; and {len(PRIVATE_WALK)} patterns x "
        f"2 actors x {len(METHODS)} methods = {private} requests for a private mission"
    )
    assert cases == len(PATTERNS) * 18


def send(client: Client, method: str, path: str):
    # The clients serve the whole module: one that is logged out (or in) by a request
    # keeps the cookies it had, as the next request's actor must be the same person.
    cookies = SimpleCookie(client.cookies)
    try:
        if method == "get":
            return client.get(path)
        if method == "htmx":
            return client.post(path, POSTED, headers={"HX-Request": "true"})
        return client.post(path, POSTED)
    finally:
        client.cookies = cookies


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def is_redirect_to(response, url: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(url)


def verdict(expected: str, response, method: str) -> str:
    """What is wrong with `response`, or "" when it is what the rule says."""
    status = response.status_code
    login_url = reverse(settings.LOGIN_URL)
    if server_error(response):
        return f"answered {status}"
    if expected == OK:
        if status in REFUSALS or is_redirect_to(response, login_url):
            return f"refused with {status} {response.get('Location', '')}"
        return ""
    if expected == LOGIN:
        if method == "htmx":
            # htmx follows a redirect and swaps the login page into a fragment: told to go
            # there instead, with nothing in the body.
            if response.get("HX-Redirect", "").startswith(login_url) and not response.content:
                return ""
            return f"answered {status} without an HX-Redirect to log in"
        return "" if is_redirect_to(response, login_url) else f"answered {status}, not login"
    if expected == ADMIN_LOGIN:
        # To the admin's login, or to its index, which sends there.
        if is_redirect_to(response, reverse("admin:index")):
            return ""
        return f"answered {status} {response.get('Location', '')}"
    wanted = {NOT_FOUND: 404, FORBIDDEN: 403, NOT_ALLOWED: 405, UNAUTHORIZED: 401}[expected]
    return "" if status == wanted else f"answered {status}, not {wanted}"


def leaked(actor: str, text: str) -> list[str]:
    secrets = list(PRIVATE_SECRETS.values())
    if actor in ("anonymous", "outsider"):
        secrets += SECRETS.values()
    elif actor not in ("viewer", "member"):
        return []  # admins and the owner see private missions
    return [secret for secret in secrets if secret in text]


# Per-request values that make two renderings of the same page differ.
VOLATILE = re.compile(r'((?:nonce=|value=|"X-CSRFToken": ))"[\w+/=-]{20,}"')


def same_page(text: str) -> str:
    return VOLATILE.sub(r"\1*", text)


@pytest.fixture
def quick_pdf(monkeypatch):
    """The PDF itself is tested with the reports (tests/reporting/test_reports.py); here
    it is who may have it, and WeasyPrint would take seconds for each allowed actor."""
    monkeypatch.setattr(pdf, "report_pdf", lambda doc, narrative, paper: b"%PDF-1.7 stand-in")


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.key for p in PATTERNS])
def test_every_actor_gets_what_the_rule_says(pattern, walked, db, quick_pdf):
    _, victim, clients = walked
    values = victim.values | victim.per_pattern.get(pattern.key, {})
    unknown = [argument for argument in pattern.arguments if argument not in values]
    assert not unknown, f"teach build_victim (tests/security/conftest.py) a value for {unknown}"
    path = pattern.path(values)
    rule = pattern.rule()
    problems = []
    before = snapshot()

    def check(actor: str, method: str) -> None:
        expected = rule.expect(actor, method)
        if expected == OK and method != "get":
            # An allowed write may do what it does; it is undone so the next actor finds
            # the same organisation. Refused ones are kept, to show they changed nothing.
            with transaction.atomic():
                response = send(clients[actor], method, path)
                transaction.set_rollback(True)
        else:
            response = send(clients[actor], method, path)
        wrong = verdict(expected, response, method)
        if wrong:
            problems.append(f"{actor} {method.upper()} {path}: {wrong} (expected {expected})")
        text = body(response)
        for secret in leaked(actor, text):
            problems.append(f"{actor} {method.upper()} {path}: shows {secret!r}")
        if (
            pattern.org_scoped
            and actor != "anonymous"
            and "private" not in response.get("Cache-Control", "")
        ):
            # What a signed-in person is sent is theirs: no shared cache may keep it.
            problems.append(f"{actor} {method.upper()} {path}: not Cache-Control: private")
        if actor == "outsider" and pattern.org_scoped:
            nowhere = send(clients[actor], method, pattern.path(values | {"org_slug": "no-org"}))
            if (nowhere.status_code, same_page(body(nowhere))) != (
                response.status_code,
                same_page(text),
            ):
                problems.append(f"outsider {method.upper()} {path}: unlike a missing org's")

    for actor in ACTORS:
        check(actor, "get")
    written = changes(before, snapshot())
    if written:
        problems.append(f"a GET of {path} changed stored rows: {written}")
    else:
        for actor in ACTORS:
            check(actor, "post")
            check(actor, "htmx")
        written = changes(before, snapshot())
        if written:
            problems.append(f"a refused POST to {path} changed stored rows: {written}")
    assert not problems, "\n".join(problems)


# Pages of a mission, a row of My check-ins (the private mission's metric is the
# member's own) and a report's pages (a draft the member wrote on the mission before it
# was made private): walked with the private mission's objects.
# The API's routes answer every session 401: tokens walk them (test_api_token_matrix.py).
PRIVATE_WALK = [
    p
    for p in PATTERNS
    if p.rule().kind != "token"
    and (
        "mission_slug" in p.arguments
        or "report_uid" in p.arguments
        or p.key == "metrics:my_checkin"
    )
]


@pytest.mark.parametrize("pattern", PRIVATE_WALK, ids=[p.key for p in PRIVATE_WALK])
def test_a_private_mission_is_like_a_missing_one_to_those_who_cannot_see_it(pattern, walked, db):
    _, victim, clients = walked
    path = pattern.path(victim.private)
    missing = victim.private | {
        "mission_slug": "no-such-mission",
        "metric_uid": "00000000-0000-4000-8000-000000000000",
        "report_uid": "00000000-0000-4000-8000-000000000000",
    }
    problems = []
    for actor in ("viewer", "member"):
        for method in METHODS:
            response = send(clients[actor], method, path)
            nowhere = send(clients[actor], method, pattern.path(missing))
            text = body(response)
            # Refused as a missing one is: 404, or the 405 or 403 that the method or the
            # role gets before any mission is looked for.
            if response.status_code not in (403, 404, 405):
                problems.append(f"{actor} {method.upper()} {path}: {response.status_code}")
            elif (response.status_code, same_page(text)) != (
                nowhere.status_code,
                same_page(body(nowhere)),
            ):
                problems.append(f"{actor} {method.upper()} {path}: unlike a missing mission's")
            problems += [f"{actor} {method} {path}: shows {s!r}" for s in leaked(actor, text)]
    assert not problems, "\n".join(problems)
