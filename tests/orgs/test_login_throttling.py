"""Wrong passwords are throttled with a cool-off, never a permanent lockout."""

import time_machine
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("login")


def attempt(client, password: str):
    return client.post(LOGIN, {"username": "grace@example.com", "password": password})


def test_five_wrong_passwords_pause_logins_for_that_account_then_it_opens_again(client, db):
    UserFactory(email="grace@example.com")
    with time_machine.travel("2026-06-01 09:00Z"):
        for _ in range(4):
            assert attempt(client, "wrong").status_code == 200
        assert attempt(client, "wrong").status_code == 429  # the fifth
        locked = attempt(client, PASSWORD)
        assert locked.status_code == 429
        assert "logging in is paused for 15 minutes" in locked.text
    with time_machine.travel("2026-06-01 09:16Z"):
        assert attempt(client, PASSWORD).status_code == 302


def test_a_success_clears_the_count(client, db):
    UserFactory(email="grace@example.com")
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302


def test_the_session_key_changes_at_login(client, db):
    UserFactory(email="grace@example.com")
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    attempt(client, PASSWORD)
    assert client.session.session_key != before
