"""Logging out, changing or resetting a password ends a person's other sessions."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs.models import User
from tests.factories import PASSWORD
from tests.mail_links import RESET, link_path

DASHBOARD = reverse("reporting:dashboard", args=["acme"])
NEW_PASSWORD = "a brand new passphrase"


def logged_in(email: str) -> Client:
    """A browser of its own, logged in through the login form."""
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get(DASHBOARD).status_code == 200
    return browser


def is_sent_to_log_in(browser: Client) -> bool:
    response = browser.get(DASHBOARD)
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.fixture
def laptop(cast) -> Client:
    return logged_in(cast.member.email)


@pytest.fixture
def phone(cast) -> Client:
    return logged_in(cast.member.email)


def test_logging_out_on_one_device_logs_out_the_others(laptop, phone):
    laptop.post(reverse("account_logout"))

    assert is_sent_to_log_in(laptop)
    assert is_sent_to_log_in(phone)


def test_after_logging_out_everywhere_a_person_logs_in_again(cast, laptop, phone):
    laptop.post(reverse("account_logout"))

    again = logged_in(cast.member.email)

    assert again.get(DASHBOARD).status_code == 200
    assert is_sent_to_log_in(phone)


def test_logging_out_leaves_other_peoples_sessions_alone(cast, laptop):
    colleague = logged_in(cast.admin.email)

    laptop.post(reverse("account_logout"))

    assert colleague.get(DASHBOARD).status_code == 200


def test_changing_the_password_keeps_this_session_and_ends_the_others(laptop, phone):
    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert laptop.get(DASHBOARD).status_code == 200
    assert is_sent_to_log_in(phone)


def test_resetting_the_password_ends_every_session(cast, laptop, phone):
    stranger = Client()
    stranger.post(reverse("account_reset_password"), {"email": cast.member.email})
    link = link_path(mail.outbox[0], RESET)
    form_url = stranger.get(link, follow=True).redirect_chain[-1][0]

    stranger.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert is_sent_to_log_in(laptop)
    assert is_sent_to_log_in(phone)
    assert is_sent_to_log_in(stranger)  # a reset does not log anyone in


def test_sessions_from_before_generations_existed_carry_on(cast):
    """Generation 0 hashes as Django does, so deploying this signs nobody out."""
    from django.contrib.auth.base_user import AbstractBaseUser

    assert cast.member.session_generation == 0
    assert cast.member.get_session_auth_hash() == AbstractBaseUser._get_session_auth_hash(
        cast.member
    )


def test_logging_in_with_a_person_loaded_before_a_logout_elsewhere_still_works(cast, laptop):
    stale = User.objects.get(pk=cast.member.pk)
    laptop.post(reverse("account_logout"))
    browser = Client()

    browser.force_login(stale)

    assert browser.get(DASHBOARD).status_code == 200


def test_a_signed_in_page_reads_its_session_from_the_cache(laptop):
    with CaptureQueriesContext(connection) as queries:
        assert laptop.get(DASHBOARD).status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_session_outlives_the_cache_that_held_it(cast, laptop):
    cache.clear()  # evicted, or Redis restarted empty

    assert laptop.get(DASHBOARD).status_code == 200
