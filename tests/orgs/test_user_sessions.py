"""A page listing where a person is signed in, with "sign out" for each (allauth.usersessions)."""

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

DASHBOARD = reverse("reporting:dashboard", args=["acme"])
SESSIONS = reverse("usersessions_list")


def logged_in(email: str, browser: str) -> Client:
    client = Client(HTTP_USER_AGENT=browser)
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(DASHBOARD).status_code == 200
    return client


@pytest.fixture
def laptop(cast) -> Client:
    return logged_in(cast.member.email, "Laptop Firefox")


@pytest.fixture
def phone(cast) -> Client:
    return logged_in(cast.member.email, "Phone Safari")


def test_the_page_lists_each_browser_signed_in(laptop, phone):
    page = laptop.get(SESSIONS)

    assert page.status_code == 200
    assert "Laptop Firefox" in page.text
    assert "Phone Safari" in page.text
    assert page.text.count("This browser") == 1


def test_signing_out_one_browser_leaves_this_one_signed_in(cast, laptop, phone):
    other = UserSession.objects.get(user=cast.member, user_agent="Phone Safari")

    response = laptop.post(reverse("session_end"), {"session": other.pk}, follow=True)

    assert "That browser is signed out." in response.text
    assert phone.get(DASHBOARD)["Location"].startswith(reverse("account_login"))
    assert laptop.get(DASHBOARD).status_code == 200


def test_signing_out_everywhere_else(laptop, phone):
    laptop.post(SESSIONS)

    assert phone.get(DASHBOARD).status_code == 302
    assert laptop.get(DASHBOARD).status_code == 200


def test_someone_elses_session_is_not_found(cast, laptop):
    colleague = logged_in(cast.admin.email, "Admin Chrome")
    theirs = UserSession.objects.get(user=cast.admin)

    response = laptop.post(reverse("session_end"), {"session": theirs.pk})

    assert response.status_code == 404
    assert colleague.get(DASHBOARD).status_code == 200


@pytest.mark.parametrize("value", ["", "abc", "-1", "1e9", "99999999999999999999999"])
def test_a_bad_session_number_is_not_found(laptop, value):
    assert laptop.post(reverse("session_end"), {"session": value}).status_code == 404
