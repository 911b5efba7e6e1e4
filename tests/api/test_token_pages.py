"""Making, listing and revoking API tokens: shown once, stored hashed, never above the
maker's role."""

import re

import pytest
from django.urls import reverse

from api.models import PREFIX, ApiToken, Kind
from core.tokens import token_digest

pytestmark = pytest.mark.django_db


def shown_secret(response) -> str:
    found = re.search(r'id="new-token" value="(wmk_[\w-]+)"', response.content.decode())
    assert found, "the new token is shown"
    return found.group(1)


def test_an_admin_makes_an_organisation_token_shown_once_and_stored_hashed(cast, login):
    client = login(cast.admin)
    url = reverse("api_tokens:org", args=["acme"])
    response = client.post(
        url,
        {
            "name": "Finance sync",
            "role": "member",
            "scopes": ["read", "check-in"],
            "expires_in": "90",
        },
        follow=True,
    )
    assert response.redirect_chain == [(url, 302)]
    secret = shown_secret(response)
    assert secret.startswith(PREFIX) and len(secret) > 40
    token = ApiToken.objects.get()
    assert token.token_hash == token_digest(secret)
    assert token.kind == Kind.ORGANISATION and token.owner == cast.admin
    assert token.scopes == ["read", "check-in"] and token.role == "member"
    assert (token.expires_at - token.created_at).days == 89  # 90 days, less a moment
    # Only its digest is kept: the list afterwards shows its start, never the token.
    listed = client.get(url).content.decode()
    assert secret not in listed and token.hint in listed and "Finance sync" in listed


def test_an_admin_cannot_give_an_organisation_token_the_owners_role(cast, login):
    response = login(cast.admin).post(
        reverse("api_tokens:org", args=["acme"]),
        {"name": "Too much", "role": "owner", "scopes": ["read"]},
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("who", ["viewer", "member"])
def test_the_organisations_token_page_is_for_admins(cast, login, who):
    response = login(getattr(cast, who)).get(reverse("api_tokens:org", args=["acme"]))
    assert response.status_code == 403


def test_a_member_makes_a_token_for_themselves_up_to_their_own_role(cast, login):
    client = login(cast.member)
    url = reverse("api_tokens:mine")
    refused = client.post(
        url, {"organisation": "acme", "name": "Mine", "role": "admin", "scopes": ["read"]}
    )
    assert refused.status_code == 400
    assert "role" in refused.content.decode()
    assert not ApiToken.objects.exists()
    made = client.post(
        url,
        {
            "organisation": "acme",
            "name": "Mine",
            "role": "member",
            "scopes": ["check-in"],
            "expires_in": "",
        },
        follow=True,
    )
    secret = shown_secret(made)
    token = ApiToken.objects.get()
    assert (token.owner, token.kind, token.expires_at) == (cast.member, Kind.PERSONAL, None)
    assert token.token_hash == token_digest(secret)


def test_a_person_cannot_make_a_token_in_an_organisation_they_are_not_in(cast, login):
    response = login(cast.outsider).post(
        reverse("api_tokens:mine"),
        {"organisation": "acme", "name": "Sneaky", "role": "viewer", "scopes": ["read"]},
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_people_revoke_their_own_tokens_and_admins_any_in_the_organisation(cast, login):
    client = login(cast.member)
    client.post(
        reverse("api_tokens:mine"),
        {"organisation": "acme", "name": "Mine", "role": "member", "scopes": ["read"]},
    )
    token = ApiToken.objects.get()
    # Someone else's token is not theirs to revoke: as if it did not exist.
    other = login(cast.viewer).post(reverse("api_tokens:revoke", args=[token.uid]))
    assert other.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    login(cast.member).post(reverse("api_tokens:revoke", args=[token.uid]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    # An admin sees every token of the organisation, and revokes any.
    second = ApiToken.objects.create(organisation=cast.org, owner=cast.member, name="Two")
    page = login(cast.admin).get(reverse("api_tokens:org", args=["acme"])).content.decode()
    assert "Two" in page and "Revoked" in page
    login(cast.admin).post(reverse("api_tokens:org_revoke", args=["acme", second.uid]))
    second.refresh_from_db()
    assert second.revoked_at is not None


def test_the_account_page_lists_only_ones_own_tokens(cast, login):
    ApiToken.objects.create(organisation=cast.org, owner=cast.admin, name="Admin's")
    ApiToken.objects.create(organisation=cast.org, owner=cast.member, name="Member's")
    page = login(cast.member).get(reverse("api_tokens:mine")).content.decode()
    assert "Member&#x27;s" in page or "Member's" in page
    assert "Admin&#x27;s" not in page and "Admin's" not in page
