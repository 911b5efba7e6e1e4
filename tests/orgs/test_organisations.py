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
