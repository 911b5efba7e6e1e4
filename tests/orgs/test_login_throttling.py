"""Wrong passwords pause an address's logins for 15 minutes, never for good (allauth's
login_failed rate limit), whatever case or spaces the address is typed with."""

import pytest
import time_machine
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("account_login")
PAUSED = "logging in is paused for 15 minutes"


def attempt(client, password: str, login: str = "viewer@x.example"):
    return client.post(LOGIN, {"login": login, "password": password})


@pytest.fixture
def viewer(db):
    return UserFactory(email="viewer@x.example")


def test_five_wrong_passwords_pause_logins_for_that_address_then_it_opens_again(client, viewer):
    with time_machine.travel("2026-06-01 09:00Z"):
        for _ in range(5):
            assert PAUSED not in attempt(client, "wrong").text
        locked = attempt(client, PASSWORD)
        assert locked.status_code == 200
        assert PAUSED in locked.text
        assert "_auth_user_id" not in client.session
    with time_machine.travel("2026-06-01 09:16Z"):
        assert attempt(client, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "variant", ["Viewer@x.example", "VIEWER@X.EXAMPLE", " viewer@x.example", "viewer@x.example "]
)
def test_the_pause_holds_whatever_the_case_or_spaces(client, viewer, variant):
    """Finding 3: 'Viewer@…', 'VIEWER@…' and ' viewer@…' all count against one lock."""
    for _ in range(5):
        attempt(client, "wrong")

    refused = attempt(client, PASSWORD, login=variant)

    assert refused.status_code == 200
    assert PAUSED in refused.text
    assert "_auth_user_id" not in client.session


def test_wrong_guesses_spread_over_variants_still_lock_the_address(client, viewer):
    for variant in [
        "viewer@x.example",
        "Viewer@x.example",
        "VIEWER@x.example",
        " viewer@x.example",
    ]:
        attempt(client, "wrong", login=variant)
    attempt(client, "wrong", login="viewer@X.example")

    assert PAUSED in attempt(client, PASSWORD).text


def test_a_pause_from_another_browser_holds_here_too(client, viewer):
    from django.test import Client

    elsewhere = Client()
    for _ in range(5):
        attempt(elsewhere, "wrong")

    assert PAUSED in attempt(client, PASSWORD).text


def test_other_addresses_are_not_paused(client, viewer):
    UserFactory(email="grace@x.example")
    for _ in range(5):
        attempt(client, "wrong")

    assert attempt(client, PASSWORD, login="grace@x.example").status_code == 302


def test_the_right_password_does_not_add_to_the_count(client, viewer):
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()

    assert attempt(client, PASSWORD).status_code == 302


def test_the_session_key_changes_at_login(client, viewer):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    attempt(client, PASSWORD)
    assert client.session.session_key != before


def test_too_many_logins_from_one_place_get_a_429_page(client, viewer, settings):
    for _ in range(30):
        attempt(client, PASSWORD)
        client.logout()

    response = attempt(client, PASSWORD)

    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert 'class="topbar"' in response.text  # the product's own page


def test_sign_ups_for_one_address_are_limited_whether_or_not_it_has_an_account(client, db):
    form = {"name": "A", "email": "ada@x.example", "password1": PASSWORD, "password2": PASSWORD}
    for _ in range(3):
        assert client.post(reverse("account_signup"), form).status_code == 302

    response = client.post(reverse("account_signup"), form | {"email": "ADA@x.example"})

    assert response.status_code == 429
    assert "Too many attempts" in response.text


def test_password_resets_for_one_address_are_limited(client, viewer):
    for _ in range(3):
        client.post(reverse("account_reset_password"), {"email": "viewer@x.example"})

    response = client.post(reverse("account_reset_password"), {"email": "Viewer@x.example"})

    assert response.status_code == 429
    assert "Too many attempts" in response.text
