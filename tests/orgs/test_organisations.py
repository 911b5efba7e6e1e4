import pytest
from django.db import IntegrityError
from django.urls import reverse

from orgs.models import Membership, Organisation
from orgs.roles import Role
from tests.factories import OrganisationFactory


def test_a_user_can_create_another_organisation_and_owns_it(cast, login):
    client = login(cast.member)

    response = client.post(reverse("org_create"), {"name": "Side Project"})

    org = Organisation.objects.get(name="Side Project")
    assert response["Location"] == f"/o/{org.slug}/"
    assert Membership.objects.get(organisation=org, user=cast.member).role == Role.OWNER


def test_a_second_organisation_with_the_same_name_gets_its_own_slug(cast, login):
    login(cast.member).post(reverse("org_create"), {"name": "Acme"})
    assert Organisation.objects.filter(slug="acme-2").exists()


def test_the_switcher_lists_every_organisation_of_the_user(cast, login):
    Membership.objects.create(organisation=cast.other_org, user=cast.member, role=Role.VIEWER)
    response = login(cast.member).get(reverse("reporting:dashboard", args=["acme"]))
    assert 'href="/o/acme/"' in response.text
    assert 'href="/o/other-co/"' in response.text


def test_admin_changes_the_settings(cast, login):
    response = login(cast.admin).post(
        reverse("orgs:settings", args=["acme"]),
        {
            "name": "Acme Ltd",
            "slug": "acme-ltd",
            "time_zone": "America/New_York",
            "week_starts_on": 6,
        },
    )
    assert response["Location"] == "/o/acme-ltd/settings/"
    cast.org.refresh_from_db()
    assert (cast.org.name, cast.org.time_zone, cast.org.week_starts_on) == (
        "Acme Ltd",
        "America/New_York",
        6,
    )


def test_a_taken_slug_gets_a_clear_message_and_changes_nothing(cast, login):
    OrganisationFactory(slug="taken")
    response = login(cast.owner).post(
        reverse("orgs:settings", args=["acme"]),
        {"name": "Renamed", "slug": "taken", "time_zone": "UTC", "week_starts_on": 0},
    )
    assert response.status_code == 200
    assert "That address is taken" in response.text
    cast.org.refresh_from_db()
    assert (cast.org.name, cast.org.slug) == ("Acme Missions", "acme")
    assert "Acme Missions" in response.text  # the page still shows what is stored


def test_an_unknown_time_zone_is_refused(cast, login):
    response = login(cast.owner).post(
        reverse("orgs:settings", args=["acme"]),
        {"name": "Acme", "slug": "acme", "time_zone": "Mars/Olympus", "week_starts_on": 0},
    )
    assert "Select a valid choice" in response.text


def test_member_sees_settings_but_cannot_change_them(cast, login):
    client = login(cast.member)
    assert client.get(reverse("orgs:settings", args=["acme"])).status_code == 200
    response = client.post(
        reverse("orgs:settings", args=["acme"]),
        {"name": "Mine now", "slug": "acme", "time_zone": "UTC", "week_starts_on": 0},
    )
    assert response.status_code == 403
    cast.org.refresh_from_db()
    assert cast.org.name == "Acme Missions"


# --- A released address stays its organisation's (issue 17, finding 7) -----------------------


def settings_post(client, org_slug: str, slug: str, name: str = "Renamed"):
    return client.post(
        reverse("orgs:settings", args=[org_slug]),
        {"name": name, "slug": slug, "time_zone": "UTC", "week_starts_on": 0, "public_page": "on"},
    )


def test_a_released_slug_cannot_be_taken_by_another_organisation(cast, login):
    assert settings_post(login(cast.owner), "acme", "acme2").status_code == 302

    # Other Co's owner tries to take the address Acme gave up.
    assert Membership.objects.get(user=cast.outsider).organisation == cast.other_org
    response = settings_post(login(cast.outsider), cast.other_org.slug, "acme", name="Other Co")

    assert "was used by another organisation" in response.text
    cast.other_org.refresh_from_db()
    assert cast.other_org.slug == "other-co"
    # Nor does a new organisation get it.
    login(cast.outsider).post(reverse("org_create"), {"name": "Acme"})
    assert Organisation.objects.get(name="Acme").slug == "acme-2"


def test_a_released_slug_is_refused_by_the_database_too(cast):
    cast.org.slug = "acme2"
    cast.org.save()
    cast.other_org.slug = "acme"
    with pytest.raises(IntegrityError):
        cast.other_org.save()


def test_the_old_public_page_address_leads_to_the_same_organisation(cast, login, client):
    settings_post(login(cast.owner), "acme", "acme2")

    response = client.get("/p/acme/")

    assert response.status_code == 301
    assert response["Location"] == "/p/acme2/"
    assert client.get(response["Location"]).status_code == 200


def test_the_old_public_page_address_never_shows_another_organisation(cast, login, client):
    settings_post(login(cast.owner), "acme", "acme2")
    # Were another organisation to hold the old address (written around every check),
    # the old address still leads to the organisation that had it.
    Organisation.objects.filter(pk=cast.other_org.pk).update(slug="acme", public_page=True)

    response = client.get("/p/acme/")

    assert response["Location"] == "/p/acme2/"
    assert "Other Co" not in client.get("/p/acme/", follow=True).text


def test_its_own_people_are_sent_on_from_the_old_address(cast, login):
    settings_post(login(cast.owner), "acme", "acme2")

    response = login(cast.member).get("/o/acme/missions/?page=2")

    assert response.status_code == 301
    assert response["Location"] == "/o/acme2/missions/?page=2"


def test_outsiders_are_not_told_where_an_organisation_went(cast, login):
    settings_post(login(cast.owner), "acme", "acme2")
    assert login(cast.outsider).get("/o/acme/missions/").status_code == 404


def test_an_organisation_may_take_back_its_own_old_slug(cast, login):
    client = login(cast.owner)
    settings_post(client, "acme", "acme2")
    assert settings_post(client, "acme2", "acme").status_code == 302
    cast.org.refresh_from_db()
    assert cast.org.slug == "acme"
