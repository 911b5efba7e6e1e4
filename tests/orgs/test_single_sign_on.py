"""Single sign-on: providers from the environment, and organisations that require it."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from orgs.models import Organisation
from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("account_login")
SETTINGS = reverse("orgs:settings", args=["acme"])
OIDC = {
    "openid_connect": {
        "APPS": [
            {
                "provider_id": "acme-sso",
                "name": "Acme SSO",
                "client_id": "waymark",
                "secret": "s3cret",
                "settings": {"server_url": "http://127.0.0.1:9/"},
            }
        ]
    }
}


def require_sso(domains: str = "acme.example") -> None:
    Organisation.objects.filter(slug="acme").update(sso_domains=domains, sso_required=True)


def settings_form(**changes) -> dict[str, object]:
    data = {
        "name": "Acme Missions",
        "slug": "acme",
        "time_zone": "Europe/London",
        "week_starts_on": "0",
        "sso_domains": "",
        "two_factor_required": "",
    }
    return data | changes


def test_without_providers_the_login_page_has_no_sso_buttons(client, db):
    assert "Continue with" not in client.get(LOGIN).text


def test_a_configured_provider_gets_a_button(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = OIDC
    page = client.get(LOGIN).text
    assert "Continue with Acme SSO" in page
    assert "/accounts/oidc/acme-sso/login/" in page


@pytest.mark.parametrize(
    "typed", ["owner@acme.example", "Owner@ACME.example", " owner@acme.example", "x@acme.example"]
)
def test_a_password_login_for_an_sso_domain_is_refused_with_a_pointer(cast, client, typed):
    require_sso()

    response = client.post(LOGIN, {"login": typed, "password": PASSWORD})

    assert response.status_code == 200
    assert "Acme Missions signs in with single sign-on" in response.text
    assert "_auth_user_id" not in client.session


def test_other_domains_still_log_in_with_a_password(cast, client):
    require_sso()
    response = client.post(LOGIN, {"login": cast.outsider.email, "password": PASSWORD})
    assert response.status_code == 302


def test_listing_the_domains_without_requiring_sso_changes_nothing(cast, client):
    Organisation.objects.filter(slug="acme").update(sso_domains="acme.example")
    response = client.post(LOGIN, {"login": cast.owner.email, "password": PASSWORD})
    assert response.status_code == 302


def test_an_admin_requires_sso_for_their_own_domain(cast, login):
    response = login(cast.admin).post(
        SETTINGS, settings_form(sso_domains="ACME.example, acme.example", sso_required="on")
    )

    assert response.status_code == 302
    org = Organisation.objects.get(slug="acme")
    assert (org.sso_domains, org.sso_required) == ("acme.example", True)


def test_a_domain_that_is_not_the_editors_own_is_refused(cast, login):
    response = login(cast.admin).post(
        SETTINGS, settings_form(sso_domains="gmail.com", sso_required="on")
    )

    assert "You can add gmail.com only from a verified address at gmail.com." in response.text
    assert Organisation.objects.get(slug="acme").sso_domains == ""


def test_an_unverified_address_does_not_vouch_for_its_domain(cast, login):
    EmailAddress.objects.filter(user=cast.admin).update(verified=False)
    response = login(cast.admin).post(SETTINGS, settings_form(sso_domains="acme.example"))
    assert "only from a verified address" in response.text


def test_requiring_sso_needs_a_domain(cast, login):
    response = login(cast.admin).post(SETTINGS, settings_form(sso_required="on"))
    assert "Name the domains that must use single sign-on." in response.text
    assert not Organisation.objects.get(slug="acme").sso_required


@pytest.mark.parametrize("bad", ["not a domain", "acme", "-acme.example", "<b>.example"])
def test_a_malformed_domain_is_refused(cast, login, bad):
    response = login(cast.admin).post(SETTINGS, settings_form(sso_domains=bad))
    assert "is not a domain" in response.text


def test_a_domain_stays_when_someone_else_saves_the_settings(cast, login):
    require_sso()
    other = UserFactory(email="helper@elsewhere.example")
    cast.org.memberships.create(user=other, role="admin")

    response = login(other).post(
        SETTINGS, settings_form(sso_domains="acme.example", sso_required="on", name="Acme")
    )

    assert response.status_code == 302
    assert Organisation.objects.get(slug="acme").name == "Acme"


def test_viewers_read_the_rules(cast, login):
    require_sso()
    page = login(cast.viewer).get(SETTINGS).text
    assert "Required for acme.example" in page
