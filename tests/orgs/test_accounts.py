import re

from django.core import mail
from django.urls import reverse

from orgs.models import Membership, Organisation, User
from orgs.roles import Role
from tests.factories import PASSWORD, UserFactory

SIGNUP = {
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "organisation_name": "Analytical Engines",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def test_signing_up_creates_an_organisation_with_the_new_user_as_owner(client, db):
    response = client.post(reverse("signup"), SIGNUP, follow=True)

    user = User.objects.get(email="ada@example.com")
    org = Organisation.objects.get(name="Analytical Engines")
    assert Membership.objects.get(user=user, organisation=org).role == Role.OWNER
    assert response.redirect_chain[-1][0] == f"/o/{org.slug}/"
    assert response.context["user"] == user


def test_sign_up_with_a_taken_email_says_so_and_creates_nothing(client, db):
    UserFactory(email="ada@example.com")

    response = client.post(reverse("signup"), SIGNUP)

    assert response.status_code == 200
    assert "An account with this email already exists" in response.text
    assert not Organisation.objects.exists()


def test_sign_up_with_a_malformed_email_says_so(client, db):
    response = client.post(reverse("signup"), SIGNUP | {"email": "not-an-email"})
    assert "Enter a valid email address." in response.text
    assert not User.objects.exists()


def test_sign_up_rejects_a_common_password(client, db):
    response = client.post(
        reverse("signup"), SIGNUP | {"password1": "password123", "password2": "password123"}
    )
    assert "This password is too common." in response.text
    assert not User.objects.exists()


def test_log_in_with_email_in_any_case(client, db):
    UserFactory(email="grace@example.com")
    response = client.post(
        reverse("login"), {"username": "Grace@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_a_wrong_password_gets_a_clear_message(client, db):
    UserFactory(email="grace@example.com")
    response = client.post(reverse("login"), {"username": "grace@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "Your email and password didn't match" in response.text


def test_log_out_ends_the_session(cast, login):
    client = login(cast.member)
    client.post(reverse("logout"))
    response = client.get(reverse("reporting:dashboard", args=["acme"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_change_password(cast, login):
    client = login(cast.member)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.check_password("a brand new passphrase")


def test_change_password_needs_the_old_one(cast, login):
    client = login(cast.member)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "x y z w v", "new_password2": "x y z w v"},
    )
    assert "Your old password was entered incorrectly" in response.text


def test_forgotten_password_is_reset_through_an_emailed_single_use_link(client, db):
    user = UserFactory(email="grace@example.com")

    client.post(reverse("password_reset"), {"email": "grace@example.com"})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = {"new_password1": "another fine passphrase", "new_password2": "another fine passphrase"}
    client.post(form_url, new)
    user.refresh_from_db()
    assert user.check_password("another fine passphrase")

    again = client.get(link, follow=True)
    assert "This link no longer works" in again.text


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "If an account uses that address" in response.text
    assert mail.outbox == []


def test_home_sends_a_visitor_to_the_landing_page(client, db):
    response = client.get("/")
    assert "Sign up" in response.text


def test_home_takes_a_member_to_the_organisation_they_used_last(cast, login):
    Membership.objects.create(organisation=cast.other_org, user=cast.member, role=Role.VIEWER)
    client = login(cast.member)
    client.get(reverse("reporting:dashboard", args=["other-co"]))

    response = client.get("/")

    assert response["Location"] == "/o/other-co/"


def test_home_asks_someone_without_an_organisation_to_create_one(client, db):
    client.force_login(UserFactory())
    assert client.get("/")["Location"] == reverse("org_create")
