"""Finding 5: every account email's links come from SITE_URL, never the request's Host."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.mail_links import SITE_URL

ODD_HOST = "localhost:8444"  # an allowed host, on a port the site does not serve


def links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def assert_links_from_site_url(messages) -> None:
    assert messages, "no email was sent"
    for message in messages:
        found = links(message)
        assert found, f"no link in {message.subject!r}"
        assert all(f"{link}/".startswith(SITE_URL + "/") for link in found), found
        assert "8444" not in message.body


@pytest.fixture
def odd_host(client, settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    client.defaults["HTTP_HOST"] = ODD_HOST
    return client


def test_the_reset_link_comes_from_site_url(odd_host, db):
    UserFactory(email="grace@example.com")
    odd_host.post(reverse("account_reset_password"), {"email": "grace@example.com"})
    assert_links_from_site_url(mail.outbox)
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_the_verification_link_comes_from_site_url(odd_host, db):
    odd_host.post(
        reverse("account_signup"),
        {"name": "A", "email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert_links_from_site_url(mail.outbox)
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_the_account_already_exists_email_links_to_site_url(odd_host, db):
    UserFactory(email="ada@example.com")
    odd_host.post(
        reverse("account_signup"),
        {"name": "A", "email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert_links_from_site_url(mail.outbox)


def test_the_unknown_account_email_links_to_site_url(odd_host, db):
    odd_host.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert_links_from_site_url(mail.outbox)
    assert f"{SITE_URL}/accounts/signup/" in mail.outbox[0].body


def test_the_resent_verification_link_comes_from_site_url(odd_host, db):
    odd_host.force_login(UserFactory(verified=False))
    odd_host.post(reverse("verification_resend"))
    assert_links_from_site_url(mail.outbox)
