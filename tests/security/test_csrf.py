"""A POST without the CSRF token is refused on every URL pattern, htmx POSTs included,
and changes nothing, even from the organisation's owner.

The client holds a valid CSRF cookie, as a browser that has visited the site does: what
a forged cross-site form lacks is the token in the form or the X-CSRFToken header.
"""

import pytest
from django.test import Client

from tests.security.state import changes, snapshot
from tests.security.url_access import CSRF_EXEMPT, all_patterns

PATTERNS = [p for p in all_patterns() if p.key not in CSRF_EXEMPT]


@pytest.fixture(scope="module")
def strict_owner(walked, django_db_blocker) -> Client:
    cast, _, _ = walked
    client = Client(enforce_csrf_checks=True)
    with django_db_blocker.unblock():
        client.force_login(cast.owner)
        client.get("/accounts/profile/")  # a page with a form: sets the CSRF cookie
    assert "csrftoken" in client.cookies
    return client


def test_the_exempt_patterns_exist():
    keys = {p.key for p in all_patterns()}
    assert keys >= CSRF_EXEMPT


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.key for p in PATTERNS])
def test_a_post_without_the_token_is_refused(pattern, walked, db, strict_owner):
    _, victim, _ = walked
    path = pattern.path(victim.values | victim.per_pattern.get(pattern.key, {}))
    before = snapshot()

    plain = strict_owner.post(path, {"name": "Forged", "title": "Forged"})
    htmx = strict_owner.post(path, {"name": "Forged"}, headers={"HX-Request": "true"})

    for response in (plain, htmx):
        assert response.status_code == 403, f"POST {path} answered {response.status_code}"
        assert b"CSRF verification failed" in response.content
    assert not changes(before, snapshot())


def test_the_same_post_with_the_token_is_let_through(walked, db, strict_owner):
    """So the refusals above are the CSRF check's, not something else's."""
    _, victim, _ = walked
    path = f"/o/{victim.values['org_slug']}/teams/"
    token = strict_owner.cookies["csrftoken"].value

    response = strict_owner.post(path, {"name": "Let through"}, headers={"X-CSRFToken": token})

    assert response.status_code == 302
