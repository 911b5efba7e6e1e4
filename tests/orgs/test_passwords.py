"""Every form that sets a password refuses common ones; reset links work once, for a day."""

import time_machine
from django.core import mail
from django.urls import reverse

from orgs.models import User
from tests.factories import PASSWORD, InvitationFactory, UserFactory
from tests.mail_links import RESET, link_path

COMMON = "password123"
TOO_COMMON = "This password is too common."


def reset_link(client, email: str) -> str:
    client.post(reverse("account_reset_password"), {"email": email})
    return link_path(mail.outbox[-1], RESET)


def test_the_password_change_form_refuses_a_common_password(cast, login):
    response = login(cast.member).post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": COMMON, "password2": COMMON},
    )

    assert TOO_COMMON in response.text
    cast.member.refresh_from_db()
    assert cast.member.check_password(PASSWORD)


def test_the_password_reset_form_refuses_a_common_password(client, db):
    user = UserFactory(email="grace@example.com")
    form_url = client.get(reset_link(client, user.email), follow=True).redirect_chain[-1][0]

    response = client.post(form_url, {"password1": COMMON, "password2": COMMON})

    assert TOO_COMMON in response.text
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_accepting_an_invitation_with_a_new_account_refuses_a_common_password(cast, client):
    invitation = InvitationFactory(organisation=cast.org, email="newbie@example.com")

    response = client.post(
        reverse("invitation_accept", args=[invitation.token]),
        {"name": "New Bie", "password1": COMMON, "password2": COMMON},
    )

    assert TOO_COMMON in response.text
    assert not User.objects.filter(email="newbie@example.com").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_password_like_the_email_address_is_refused(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "name": "Grace Hopper",
            "email": "gracehopper@example.com",
            "password1": "gracehopper",
            "password2": "gracehopper",
        },
    )
    assert "The password is too similar to the email address." in response.text
    assert not User.objects.exists()


def test_a_reset_link_works_for_a_day(client, db):
    user = UserFactory(email="grace@example.com")
    with time_machine.travel("2026-06-01 09:00Z"):
        link = reset_link(client, user.email)
    with time_machine.travel("2026-06-02 08:59Z"):
        form_url = client.get(link, follow=True).redirect_chain[-1][0]
        client.post(form_url, {"password1": "a fine new phrase", "password2": "a fine new phrase"})
    user.refresh_from_db()
    assert user.check_password("a fine new phrase")


def test_a_reset_link_stops_working_after_a_day(client, db):
    user = UserFactory(email="grace@example.com")
    with time_machine.travel("2026-06-01 09:00Z"):
        link = reset_link(client, user.email)
    with time_machine.travel("2026-06-02 09:01Z"):
        response = client.get(link, follow=True)
    assert "This link no longer works" in response.text
    assert 'name="password1"' not in response.text


def test_a_reset_link_stops_working_once_the_password_is_changed_another_way(cast, client, login):
    link = reset_link(client, cast.member.email)
    login(cast.member).post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "x-new-phrase-1", "password2": "x-new-phrase-1"},
    )
    client.logout()

    response = client.get(link, follow=True)

    assert "This link no longer works" in response.text
