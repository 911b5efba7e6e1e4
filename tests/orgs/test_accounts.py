"""Signing up, verifying, logging in and out, and resetting a password (django-allauth)."""

import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from orgs.models import Membership, Organisation, User
from orgs.roles import Role
from tests.factories import PASSWORD, UserFactory
from tests.mail_links import CONFIRM, RESET, link_path

SIGNUP = {
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
}
LOGIN = reverse("account_login")


def test_signing_up_emails_a_link_to_verify_the_address(client, db):
    response = client.post(reverse("account_signup"), SIGNUP, follow=True)

    user = User.objects.get(email="ada@example.com")
    assert user.name == "Ada Lovelace"
    assert "Check your email" in response.text
    assert not response.context["user"].is_authenticated
    assert not user.has_verified_email()
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def sign_up_and_log_in(client) -> None:
    client.post(reverse("account_signup"), SIGNUP)
    response = client.post(LOGIN, {"login": SIGNUP["email"], "password": PASSWORD})
    assert response.status_code == 302


def test_an_unverified_account_may_log_in_but_verifies_before_creating_an_organisation(client, db):
    sign_up_and_log_in(client)

    page = client.get(reverse("org_create"))
    refused = client.post(reverse("org_create"), {"name": "Analytical Engines"})

    assert "Confirm your email address first" in page.text
    assert "Resend the email" in page.text
    assert refused.status_code == 403
    assert not Organisation.objects.exists()


def test_the_verification_email_can_be_sent_again_after_a_few_minutes(client, db):
    with time_machine.travel("2026-06-01 09:00Z"):
        sign_up_and_log_in(client)
    mail.outbox.clear()

    with time_machine.travel("2026-06-01 09:04Z"):
        response = client.post(
            reverse("verification_resend"), {"next": reverse("org_create")}, follow=True
        )

    assert response.redirect_chain[-1][0] == reverse("org_create")
    assert "We have sent a new link to ada@example.com" in response.text
    assert len(mail.outbox) == 1


def test_resending_straight_away_is_refused_with_a_message(client, db):
    sign_up_and_log_in(client)
    mail.outbox.clear()

    response = client.post(reverse("verification_resend"), follow=True)

    assert "We sent a link a moment ago" in response.text
    assert mail.outbox == []


def test_the_resend_form_goes_back_only_to_this_site(client, db):
    client.force_login(UserFactory(verified=False))
    response = client.post(reverse("verification_resend"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_the_link_verifies_signs_in_and_the_new_account_creates_its_organisation(client, db):
    client.post(reverse("account_signup"), SIGNUP)
    confirm = link_path(mail.outbox[-1], CONFIRM)
    assert client.get(confirm).status_code == 200  # a page with a button: scanners don't verify
    client.post(confirm)

    response = client.post(reverse("org_create"), {"name": "Analytical Engines"}, follow=True)

    user = User.objects.get(email="ada@example.com")
    org = Organisation.objects.get(name="Analytical Engines")
    assert user.has_verified_email()
    assert Membership.objects.get(user=user, organisation=org).role == Role.OWNER
    assert response.redirect_chain[-1][0] == f"/o/{org.slug}/"


def test_an_unverified_admin_cannot_send_invitations(cast, login):
    EmailAddress.objects.filter(user=cast.admin).update(verified=False)

    response = login(cast.admin).post(
        reverse("orgs:member_invite", args=["acme"]), {"email": "new@x.example", "role": "member"}
    )

    assert response.status_code == 403
    assert "Before you can send invitations" in response.text
    assert not cast.org.invitations.exists()
    assert mail.outbox == []


def test_sign_up_with_a_taken_email_looks_the_same_and_tells_only_the_owner(client, db):
    UserFactory(email="ada@example.com")

    taken = client.post(reverse("account_signup"), SIGNUP, follow=True)
    fresh = client.post(
        reverse("account_signup"), SIGNUP | {"email": "babbage@example.com"}, follow=True
    )

    assert taken.redirect_chain[-1][0] == fresh.redirect_chain[-1][0]
    assert "already" not in taken.text
    assert "Check your email" in taken.text
    assert User.objects.filter(email="ada@example.com").count() == 1
    to_owner = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    assert "an account already uses that address" in to_owner.body


def test_sign_up_with_a_malformed_email_says_so_under_the_field(client, db):
    response = client.post(reverse("account_signup"), SIGNUP | {"email": "not-an-email"})
    assert 'id="id_email_error"' in response.text
    assert "Enter a valid email address." in response.text
    assert not User.objects.exists()


def test_sign_up_rejects_a_common_password(client, db):
    response = client.post(
        reverse("account_signup"),
        SIGNUP | {"password1": "password123", "password2": "password123"},
    )
    assert "This password is too common." in response.text
    assert not User.objects.exists()


def test_sign_up_fields_come_in_the_order_they_are_read(client, db):
    page = client.get(reverse("account_signup")).text
    positions = [page.index(f'name="{name}"') for name in ("name", "email", "password1")]
    assert positions == sorted(positions)
    assert page.index('name="password1"') < page.index('name="password2"')


def test_log_in_with_email_in_any_case(client, db):
    UserFactory(email="grace@example.com")
    response = client.post(LOGIN, {"login": "Grace@Example.com", "password": PASSWORD})
    assert response.status_code == 302


def test_a_wrong_password_gets_a_clear_message(client, db):
    UserFactory(email="grace@example.com")
    response = client.post(LOGIN, {"login": "grace@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "Your email and password didn’t match" in response.text


def test_log_out_ends_the_session(cast, login):
    client = login(cast.member)
    client.post(reverse("account_logout"))
    response = client.get(reverse("reporting:dashboard", args=["acme"]))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_change_password(cast, login):
    client = login(cast.member)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a brand new passphrase",
            "password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.check_password("a brand new passphrase")


def test_change_password_needs_the_old_one(cast, login):
    client = login(cast.member)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": "x y z w v", "password2": "x y z w v"},
    )
    assert "Please type your current password." in response.text


def test_forgotten_password_is_reset_through_an_emailed_single_use_link(client, db):
    user = UserFactory(email="grace@example.com")

    client.post(reverse("account_reset_password"), {"email": "grace@example.com"})

    assert len(mail.outbox) == 1
    link = link_path(mail.outbox[0], RESET)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = {"password1": "another fine passphrase", "password2": "another fine passphrase"}
    client.post(form_url, new)
    user.refresh_from_db()
    assert user.check_password("another fine passphrase")

    again = client.get(link, follow=True)
    assert "This link no longer works" in again.text


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}, follow=True
    )
    assert "If an account uses that address" in response.text
    # The address's owner hears that someone tried, and how to sign up; no reset link.
    assert "/accounts/password/reset/key/" not in "".join(m.body for m in mail.outbox)


def test_an_imported_person_without_a_password_sets_one_through_the_reset_email(client, db):
    person = UserFactory(email="imported@example.com", verified=False)
    person.set_unusable_password()
    person.save()
    EmailAddress.objects.filter(user=person).delete()  # as import_org leaves them

    client.post(reverse("account_reset_password"), {"email": "Imported@Example.com"})

    assert len(mail.outbox) == 1
    link = link_path(mail.outbox[0], RESET)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": "my first passphrase", "password2": "my first passphrase"})
    person.refresh_from_db()
    assert person.check_password("my first passphrase")
    assert person.has_verified_email()  # the link reached the inbox


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


def test_addresses_from_before_allauth_still_work(client, db):
    for old, new in [
        ("/signup/", reverse("account_signup")),
        ("/accounts/password_reset/", reverse("account_reset_password")),
        ("/accounts/password_change/", reverse("account_change_password")),
        ("/accounts/reset/MQ/abc-123/", reverse("account_reset_password")),
    ]:
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new)
    assert client.get("/signup/?next=/o/acme/")["Location"] == "/accounts/signup/?next=/o/acme/"
