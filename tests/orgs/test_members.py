from django.urls import reverse

from orgs.models import Membership
from orgs.roles import Role
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    MetricFactory,
    MissionFactory,
    TeamFactory,
    TeamMemberFactory,
)


def change_role(client, cast, user, role, **headers):
    uid = cast.membership(user).uid
    return client.post(reverse("orgs:member_role", args=["acme", uid]), {"role": role}, **headers)


def test_admin_changes_a_members_role(cast, login):
    change_role(login(cast.admin), cast, cast.member, Role.VIEWER)
    assert cast.membership(cast.member).role == Role.VIEWER


def test_role_change_by_htmx_returns_the_updated_row(cast, login):
    response = change_role(login(cast.admin), cast, cast.member, Role.ADMIN, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<tr")
    assert '<option value="admin" selected>' in response.text


def test_the_last_owner_cannot_be_demoted(cast, login):
    response = change_role(login(cast.owner), cast, cast.owner, Role.ADMIN, follow=True)
    assert "The last owner cannot be demoted" in response.text
    assert cast.membership(cast.owner).role == Role.OWNER


def test_the_last_owner_cannot_be_demoted_by_htmx_either(cast, login):
    response = change_role(login(cast.owner), cast, cast.owner, Role.ADMIN, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "The last owner cannot be demoted" in response.text
    assert '<option value="owner" selected>' in response.text


def test_an_owner_can_step_down_once_there_is_another_owner(cast, login):
    client = login(cast.owner)
    change_role(client, cast, cast.admin, Role.OWNER)
    change_role(client, cast, cast.owner, Role.MEMBER)
    assert cast.membership(cast.owner).role == Role.MEMBER


def test_an_admin_cannot_make_an_owner(cast, login):
    response = change_role(login(cast.admin), cast, cast.member, Role.OWNER, follow=True)
    assert "Only an owner can make someone an owner" in response.text
    assert cast.membership(cast.member).role == Role.MEMBER


def test_an_unknown_role_changes_nothing(cast, login):
    response = change_role(login(cast.admin), cast, cast.member, "emperor", follow=True)
    assert "Choose one of the roles offered" in response.text
    assert cast.membership(cast.member).role == Role.MEMBER


def test_member_cannot_change_roles(cast, login):
    assert change_role(login(cast.member), cast, cast.viewer, Role.ADMIN).status_code == 403
    assert cast.membership(cast.viewer).role == Role.VIEWER


def test_admin_removes_a_member_who_also_leaves_their_teams(cast, login):
    team = TeamFactory(organisation=cast.org, lead=cast.member)
    TeamMemberFactory(team=team, user=cast.member)
    uid = cast.membership(cast.member).uid

    login(cast.admin).post(reverse("orgs:member_remove", args=["acme", uid]))

    assert not Membership.objects.filter(organisation=cast.org, user=cast.member).exists()
    team.refresh_from_db()
    assert team.lead is None
    assert not team.members.exists()


def test_the_last_owner_cannot_be_removed(cast, login):
    uid = cast.membership(cast.owner).uid
    response = login(cast.owner).post(
        reverse("orgs:member_remove", args=["acme", uid]), follow=True
    )
    assert "The last owner cannot be removed" in response.text
    assert cast.membership(cast.owner).role == Role.OWNER


def test_an_admin_cannot_remove_an_owner(cast, login):
    MembershipFactory(organisation=cast.org, role=Role.OWNER)
    uid = cast.membership(cast.owner).uid
    login(cast.admin).post(reverse("orgs:member_remove", args=["acme", uid]))
    assert Membership.objects.filter(organisation=cast.org, user=cast.owner).exists()


def test_an_admin_can_leave(cast, login):
    uid = cast.membership(cast.admin).uid
    response = login(cast.admin).post(reverse("orgs:member_remove", args=["acme", uid]))
    assert response["Location"] == "/"
    assert not Membership.objects.filter(organisation=cast.org, user=cast.admin).exists()


def test_viewer_sees_people_without_management_controls(cast, login):
    response = login(cast.viewer).get(reverse("orgs:members", args=["acme"]))
    assert response.status_code == 200
    assert "Acme Member" in response.text
    assert "member@acme.example" not in response.text  # colleagues' addresses are for members
    assert "Send invitation" not in response.text
    assert "<select" not in response.text


def test_only_managers_see_who_has_been_invited(cast, login):
    InvitationFactory(organisation=cast.org, email="secret.invitee@example.com")
    url = reverse("orgs:members", args=["acme"])
    assert "secret.invitee@example.com" not in login(cast.member).get(url).text
    assert "secret.invitee@example.com" in login(cast.admin).get(url).text


def test_removing_someone_leaves_what_they_owned_without_an_owner(cast, login):
    mission = MissionFactory(organisation=cast.org, owner=cast.member)
    metric = MetricFactory(goal__mission=mission, goal__owner=cast.member, owner=cast.member)
    other = MissionFactory(organisation=cast.other_org, owner=cast.member)
    uid = cast.membership(cast.member).uid

    login(cast.admin).post(reverse("orgs:member_remove", args=["acme", uid]))

    mission.refresh_from_db()
    metric.refresh_from_db()
    metric.goal.refresh_from_db()
    other.refresh_from_db()
    assert (mission.owner, metric.owner, metric.goal.owner) == (None, None, None)
    assert other.owner == cast.member  # another organisation's missions are not touched
