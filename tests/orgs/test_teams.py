from django.urls import reverse

from orgs.models import Team
from tests.factories import TeamFactory


def test_admin_creates_a_team_with_a_lead_who_becomes_a_member(cast, login):
    response = login(cast.admin).post(
        reverse("orgs:teams", args=["acme"]),
        {"name": "Shops & Cafés", "description": "Front of house", "lead": cast.member.email},
    )
    team = Team.objects.get(organisation=cast.org)
    assert response["Location"] == f"/o/acme/teams/{team.slug}/"
    assert team.lead == cast.member
    assert list(team.members.all()) == [cast.member]


def test_a_duplicate_team_name_gets_a_clear_message(cast, login):
    TeamFactory(organisation=cast.org, name="Sales")
    response = login(cast.admin).post(reverse("orgs:teams", args=["acme"]), {"name": "sales"})
    assert response.status_code == 400
    assert "There is already a team with this name" in response.text
    assert Team.objects.filter(organisation=cast.org).count() == 1


def test_the_same_team_name_is_fine_in_another_organisation(cast, login):
    TeamFactory(organisation=cast.other_org, name="Sales", slug="sales")
    login(cast.admin).post(reverse("orgs:teams", args=["acme"]), {"name": "Sales"})
    assert Team.objects.filter(organisation=cast.org, slug="sales").exists()


def test_a_lead_from_another_organisation_is_refused(cast, login):
    response = login(cast.admin).post(
        reverse("orgs:teams", args=["acme"]), {"name": "Sales", "lead": cast.outsider.email}
    )
    assert "Select a valid choice" in response.text
    assert not Team.objects.filter(organisation=cast.org).exists()


def test_admin_adds_and_removes_team_members(cast, login):
    team = TeamFactory(organisation=cast.org)
    client = login(cast.admin)

    client.post(
        reverse("orgs:team_member_add", args=["acme", team.slug]), {"user": cast.viewer.email}
    )
    assert list(team.members.all()) == [cast.viewer]

    uid = cast.membership(cast.viewer).uid
    client.post(reverse("orgs:team_member_remove", args=["acme", team.slug, uid]))
    assert not team.members.exists()


def test_someone_outside_the_organisation_cannot_be_added_to_a_team(cast, login):
    team = TeamFactory(organisation=cast.org)
    response = login(cast.admin).post(
        reverse("orgs:team_member_add", args=["acme", team.slug]),
        {"user": cast.outsider.email},
        follow=True,
    )
    assert "Choose a member of the organisation" in response.text
    assert not team.members.exists()


def test_admin_renames_a_team_and_its_address_stays(cast, login):
    team = TeamFactory(organisation=cast.org, name="Ops", slug="ops")
    login(cast.admin).post(
        reverse("orgs:team_detail", args=["acme", "ops"]), {"name": "Operations"}
    )
    team.refresh_from_db()
    assert (team.name, team.slug) == ("Operations", "ops")


def test_member_sees_teams_but_cannot_create_one(cast, login):
    client = login(cast.member)
    assert client.get(reverse("orgs:teams", args=["acme"])).status_code == 200
    assert client.post(reverse("orgs:teams", args=["acme"]), {"name": "Rogue"}).status_code == 403
    assert not Team.objects.exists()


def test_the_team_page_shows_the_stored_lead(cast, login):
    TeamFactory(organisation=cast.org, name="Ops", slug="ops", lead=cast.member)
    response = login(cast.admin).get(reverse("orgs:team_detail", args=["acme", "ops"]))
    assert '<option value="member@acme.example" selected>' in response.text
