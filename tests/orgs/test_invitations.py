import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from orgs.emails import invitation_email_send
from orgs.models import Invitation, Membership, User
from orgs.roles import Role
from orgs.tasks import sweep_invitations
from tests.factories import PASSWORD, InvitationFactory, UserFactory


@pytest.fixture
def invite(cast, login, django_capture_on_commit_callbacks):
    def send(email: str, role: str = Role.MEMBER, by=None):
        client = login(by or cast.admin)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("orgs:member_invite", args=["acme"]), {"email": email, "role": role}
            )

    return send


def test_admin_invites_by_email_and_the_email_carries_a_single_use_link(cast, invite):
    response = invite("New.Person@example.com")

    assert response.status_code == 302
    invitation = Invitation.objects.get(organisation=cast.org)
    assert invitation.email == "new.person@example.com"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert f"/invitations/{invitation.token}/" in mail.outbox[0].body
    assert len(invitation.token) >= 43  # 32 random bytes


def test_the_invitation_email_is_sent_once_even_if_the_task_runs_twice(cast):
    invitation = InvitationFactory(organisation=cast.org)
    assert invitation_email_send(invitation.pk) is True
    assert invitation_email_send(invitation.pk) is False
    assert len(mail.outbox) == 1


def test_inviting_someone_who_is_already_a_member_says_so(cast, invite):
    response = invite("member@acme.example")
    assert response.status_code == 400
    assert "is already a member of Acme Missions" in response.text
    assert not Invitation.objects.exists()


def test_inviting_a_malformed_address_says_so(cast, invite):
    response = invite("not an email")
    assert "Enter a valid email address." in response.text
    assert not Invitation.objects.exists()


def test_inviting_again_renews_the_link_and_the_old_one_stops_working(cast, invite, client):
    invite("again@example.com")
    old_token = Invitation.objects.get().token
    invite("again@example.com")

    invitation = Invitation.objects.get()
    assert invitation.token != old_token
    assert len(mail.outbox) == 2
    client.logout()
    assert client.get(reverse("invitation_accept", args=[old_token])).status_code == 404


def test_member_cannot_invite(cast, invite):
    assert invite("x@example.com", by=cast.member).status_code == 403
    assert not Invitation.objects.exists()


def test_admin_cannot_invite_an_owner(cast, invite):
    response = invite("boss@example.com", role=Role.OWNER)
    assert "Select a valid choice" in response.text
    assert not Invitation.objects.exists()


def test_a_new_person_accepts_by_creating_an_account(cast, client):
    invitation = InvitationFactory(organisation=cast.org, email="newbie@example.com")
    url = reverse("invitation_accept", args=[invitation.token])

    response = client.post(
        url,
        {
            "name": "New Bie",
            "email": "ignored@evil.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response["Location"] == "/o/acme/"
    user = User.objects.get(email="newbie@example.com")
    assert Membership.objects.get(organisation=cast.org, user=user).role == Role.MEMBER
    assert not User.objects.filter(email="ignored@evil.example").exists()


def test_an_existing_user_logs_in_and_accepts(cast, login):
    invitation = InvitationFactory(
        organisation=cast.org, email=cast.outsider.email, role=Role.VIEWER
    )
    client = login(cast.outsider)
    url = reverse("invitation_accept", args=[invitation.token])
    assert "Accept and join" in client.get(url).text

    client.post(url)

    assert Membership.objects.get(organisation=cast.org, user=cast.outsider).role == Role.VIEWER


def test_an_existing_user_who_is_logged_out_is_asked_to_log_in(cast, client):
    invitation = InvitationFactory(organisation=cast.org, email=cast.outsider.email)
    response = client.get(reverse("invitation_accept", args=[invitation.token]))
    assert "Log in to accept" in response.text
    assert "Create account and join" not in response.text


def test_the_link_works_once(cast, login):
    invitation = InvitationFactory(organisation=cast.org, email=cast.outsider.email)
    url = reverse("invitation_accept", args=[invitation.token])
    client = login(cast.outsider)
    client.post(url)
    Membership.objects.filter(organisation=cast.org, user=cast.outsider).delete()

    response = client.post(url)

    assert response.status_code == 404
    assert "no longer works" in response.text
    assert not Membership.objects.filter(organisation=cast.org, user=cast.outsider).exists()


def test_a_forwarded_link_does_not_let_someone_else_in(cast, login):
    invitation = InvitationFactory(organisation=cast.org, email="intended@example.com")
    url = reverse("invitation_accept", args=[invitation.token])
    stranger = UserFactory(email="stranger@example.com")
    client = login(stranger)
    assert "This invitation is for intended@example.com" in client.get(url).text

    response = client.post(url, follow=True)

    assert "This invitation is for intended@example.com" in response.text
    assert not Membership.objects.filter(user=stranger, organisation=cast.org).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None  # still there for the person it was sent to


def test_an_expired_link_gets_a_clear_message(cast, login):
    with time_machine.travel("2026-01-01 09:00Z"):
        invitation = InvitationFactory(organisation=cast.org)
    with time_machine.travel("2026-01-08 09:01Z"):
        response = login(cast.outsider).post(reverse("invitation_accept", args=[invitation.token]))
    assert response.status_code == 404
    assert "no longer works" in response.text
    assert not Membership.objects.filter(organisation=cast.org, user=cast.outsider).exists()


def test_a_link_still_works_on_its_last_day(cast, login):
    with time_machine.travel("2026-01-01 09:00Z"):
        invitation = InvitationFactory(organisation=cast.org, email=cast.outsider.email)
    with time_machine.travel("2026-01-08 08:59Z"):
        login(cast.outsider).post(reverse("invitation_accept", args=[invitation.token]))
    assert Membership.objects.filter(organisation=cast.org, user=cast.outsider).exists()


def test_a_revoked_invitation_no_longer_works(cast, login, client):
    invitation = InvitationFactory(organisation=cast.org)
    login(cast.admin).post(reverse("orgs:invitation_revoke", args=["acme", invitation.uid]))
    client.logout()
    assert client.get(reverse("invitation_accept", args=[invitation.token])).status_code == 404


def test_an_unknown_token_looks_like_a_used_one(client, db):
    response = client.get(reverse("invitation_accept", args=["made-up"]))
    assert response.status_code == 404
    assert "no longer works" in response.text


def test_accepting_never_lowers_an_existing_members_role(cast, login):
    invitation = InvitationFactory(organisation=cast.org, email=cast.admin.email, role=Role.VIEWER)
    login(cast.admin).post(reverse("invitation_accept", args=[invitation.token]))
    assert cast.membership(cast.admin).role == Role.ADMIN


def test_an_invitation_whose_send_was_lost_goes_out_with_the_next_sweep(cast):
    with time_machine.travel("2026-03-01 09:00Z"):
        invitation = InvitationFactory(organisation=cast.org)  # as if Redis had been down
    with time_machine.travel("2026-03-01 09:02Z"):
        sweep_invitations()
        assert mail.outbox == []  # its own task may still be on the way
    with time_machine.travel("2026-03-01 09:15Z"):
        sweep_invitations()
        sweep_invitations()
    assert [m.to for m in mail.outbox] == [[invitation.email]]
