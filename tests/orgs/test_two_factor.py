"""Two-factor authentication: signing in with an authenticator app, organisations that
require it, and the Django admin, which always does."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from orgs import policy
from orgs.models import Organisation
from orgs.roles import Role
from tests.factories import PASSWORD, TOTP_SECRET, UserFactory, with_two_factor
from tests.totp import totp_code

DASHBOARD = reverse("reporting:dashboard", args=["acme"])
LOGIN = reverse("account_login")


def require(rule: str) -> None:
    Organisation.objects.filter(slug="acme").update(two_factor_required=rule)


@pytest.mark.parametrize(
    ("rule", "role", "needed"),
    [
        ("", Role.OWNER, False),
        ("managers", Role.OWNER, True),
        ("managers", Role.ADMIN, True),
        ("managers", Role.MEMBER, False),
        ("managers", Role.VIEWER, False),
        ("everyone", Role.VIEWER, True),
        ("everyone", Role.MEMBER, True),
    ],
)
def test_the_policy_says_whom_the_rule_covers(rule, role, needed):
    class Member:
        user_id = 1

    member = Member()
    member.role = role
    assert policy.needs_two_factor(member, rule) is needed


def test_an_admin_without_two_factor_is_sent_to_set_it_up(cast, login):
    require("managers")

    response = login(cast.admin).get(DASHBOARD, follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa_index")
    assert "Acme Missions asks everyone in your role to use two-factor" in response.text
    assert "Authenticator App" in response.text


def test_a_member_is_not_asked_when_only_managers_need_it(cast, login):
    require("managers")
    assert login(cast.member).get(DASHBOARD).status_code == 200


def test_everyone_needs_it_when_the_organisation_says_so(cast, login):
    require("everyone")
    assert login(cast.viewer).get(DASHBOARD)["Location"] == reverse("mfa_index")


def test_with_two_factor_set_up_the_organisation_opens(cast, login):
    require("everyone")
    with_two_factor(cast.member)
    assert login(cast.member).get(DASHBOARD).status_code == 200


def test_other_organisations_rules_do_not_apply(cast, login):
    require("everyone")
    other = reverse("reporting:dashboard", args=["other-co"])
    assert login(cast.outsider).get(other).status_code == 200


def test_signing_in_with_an_authenticator_app_asks_for_its_code(cast, client):
    with_two_factor(cast.member)

    step_one = client.post(LOGIN, {"login": cast.member.email, "password": PASSWORD})
    assert step_one["Location"] == reverse("mfa_authenticate")
    assert client.get(DASHBOARD).status_code == 302  # not signed in yet

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "Incorrect code." in wrong.text
    client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})

    assert client.get(DASHBOARD).status_code == 200


def test_setting_up_an_authenticator_app(cast, client):
    user = UserFactory(email="newbie@acme.example")
    client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked["Location"].startswith(reverse("account_reauthenticate"))  # password again
    client.post(asked["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret

    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert user.has_two_factor()


def test_the_admin_needs_two_factor(client, django_user_model):
    staff = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    client.force_login(staff)

    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa_index")
    assert "The admin needs two-factor authentication" in response.text
    with_two_factor(staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_signs_in_through_the_site_login(client, db):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)


def test_the_admin_is_not_for_people_who_are_not_staff(cast, login):
    with_two_factor(cast.owner)
    response = login(cast.owner).get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == "/o/acme/"
    assert "The admin is for Waymark&#x27;s staff." in response.text
