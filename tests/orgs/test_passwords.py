"""Every form that sets a password refuses common ones; reset links work once, for a day."""

import time_machine
from django.core import mail
from django.urls import reverse

from orgs.models import User
from tests.factories import PASSWORD, InvitationFactory, UserFactory
from tests.html import parse
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
    # It says why, under the password itself (not the confirmation), and keeps the
    # name and address typed; the passwords are typed again.
    page = parse(response.text)
    password = page.one("input", id="id_password1")
    assert password["aria-invalid"] == "true"
    assert "id_password1_error" in password["aria-describedby"].split()
    assert page.one("ul", id="id_password1_error").text == (
        "This password is too close to your email address: anyone who knows it could "
        "guess the password. Use words that have nothing to do with it."
    )
    assert page.one("input", id="id_password2").get("aria-invalid") is None
    assert page.one("input", id="id_name")["value"] == "Grace Hopper"
    assert page.one("input", id="id_email")["value"] == "gracehopper@example.com"
    assert password.get("value") is None
    # Nothing takes the focus past the name.
    assert not [field for field in page.all("input") if "autofocus" in field.attrs]
    assert not User.objects.exists()


def test_sign_up_asks_for_the_name_first(client, db):
    page = parse(client.get(reverse("account_signup")).text)
    fields = [field for field in page.one("main").all("input") if field.get("type") != "hidden"]
    assert [field["name"] for field in fields] == ["name", "email", "password1", "password2"]
    assert not [field for field in fields if "autofocus" in field.attrs]


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
