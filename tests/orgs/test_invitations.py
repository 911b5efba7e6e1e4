import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from core.tokens import token_digest
from orgs.emails import invitation_email_send
from orgs.models import Invitation, Membership, User
from orgs.roles import Role
from orgs.services import (
    INVITATIONS_PER_HOUR_BY_ACCOUNT,
    INVITATIONS_PER_HOUR_BY_ORGANISATION,
    membership_change_role,
)
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
    token = emailed_token(mail.outbox[0])
    assert len(token) >= 43  # 32 random bytes
    assert invitation.token_hash == token_digest(token)


def emailed_token(message) -> str:
    found = re.search(r"/invitations/([\w-]+)/", message.body)
    assert found, message.body
    return found[1]


def test_the_token_is_stored_only_as_its_digest(cast, invite, client):
    invite("digest@example.com")
    token = emailed_token(mail.outbox[0])

    stored = Invitation.objects.values().get()
    assert token not in str(stored)
    client.logout()
    assert "Join Acme Missions" in client.get(reverse("invitation_accept", args=[token])).text


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
    old_token = emailed_token(mail.outbox[0])
    invite("again@example.com")

    new_token = emailed_token(mail.outbox[1])
    assert new_token != old_token
    assert Invitation.objects.pending().get().token_hash == token_digest(new_token)
    assert len(mail.outbox) == 2
    client.logout()
    assert client.get(reverse("invitation_accept", args=[old_token])).status_code == 404
    assert client.get(reverse("invitation_accept", args=[new_token])).status_code == 200


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

    # A member comes to record what is theirs: their check-ins.
    assert response["Location"] == "/o/acme/my-check-ins/"
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


# --- An invitation dies with its sender's right to send it (issue 17, finding 6) -----------


def test_an_admins_invitation_is_refused_once_they_are_demoted(cast, login):
    invitation = InvitationFactory(
        organisation=cast.org, email=cast.outsider.email, role=Role.ADMIN, invited_by=cast.admin
    )
    Membership.objects.filter(organisation=cast.org, user=cast.admin).update(role=Role.VIEWER)
    client = login(cast.outsider)
    url = reverse("invitation_accept", args=[invitation.token])

    page = client.get(url)
    assert page.status_code == 410
    assert "can no longer invite people as admin" in page.text
    response = client.post(url, follow=True)

    assert "can no longer invite people as admin" in response.text
    assert not Membership.objects.filter(organisation=cast.org, user=cast.outsider).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_invitation_is_refused_once_its_sender_has_left(cast, login):
    invitation = InvitationFactory(
        organisation=cast.org, email=cast.outsider.email, invited_by=cast.admin
    )
    Membership.objects.filter(organisation=cast.org, user=cast.admin).delete()

    login(cast.outsider).post(reverse("invitation_accept", args=[invitation.token]))

    assert not Membership.objects.filter(organisation=cast.org, user=cast.outsider).exists()


def test_an_owner_invitation_from_an_owner_demoted_to_admin_is_refused(cast, login):
    invitation = InvitationFactory(
        organisation=cast.org, email=cast.outsider.email, role=Role.OWNER, invited_by=cast.owner
    )
    Membership.objects.filter(organisation=cast.org, user=cast.owner).update(role=Role.ADMIN)

    login(cast.outsider).post(reverse("invitation_accept", args=[invitation.token]))

    assert not Membership.objects.filter(organisation=cast.org, user=cast.outsider).exists()


def test_an_invitation_from_someone_who_still_may_is_honoured(cast, login):
    invitation = InvitationFactory(
        organisation=cast.org, email=cast.outsider.email, role=Role.ADMIN, invited_by=cast.admin
    )
    login(cast.outsider).post(reverse("invitation_accept", args=[invitation.token]))
    assert cast.membership(cast.outsider).role == Role.ADMIN


def test_the_people_page_shows_a_demoted_admins_invitations_as_void(cast, login, invite):
    invite("kept@example.com", by=cast.owner)
    invite("voided@example.com", role=Role.ADMIN, by=cast.admin)
    owner_membership = cast.membership(cast.owner)
    membership_change_role(cast.membership(cast.admin), Role.MEMBER, changed_by=owner_membership)

    page = login(cast.owner).get(reverse("orgs:members", args=["acme"])).text

    void = re.findall(r'<li>\s*<span><span class="person">([^<]+)</span>(.*?)</li>', page, re.S)
    said = {email: "Void:" in rest for email, rest in void}
    assert said == {"kept@example.com": False, "voided@example.com": True}
    assert "can no longer invite people as admin" in page


def test_a_void_invitation_is_not_emailed(cast):
    invitation = InvitationFactory(organisation=cast.org, role=Role.ADMIN, invited_by=cast.admin)
    Membership.objects.filter(organisation=cast.org, user=cast.admin).update(role=Role.MEMBER)
    assert invitation_email_send(invitation.pk) is False
    assert mail.outbox == []


# --- Limits and what the subject may say (issue 17, finding 8) ------------------------------


def test_one_account_cannot_send_25_invitations_in_an_hour(cast, invite):
    answers = [invite(f"person{n}@example.com").status_code for n in range(25)]

    assert answers == [302] * INVITATIONS_PER_HOUR_BY_ACCOUNT + [400] * 5
    assert Invitation.objects.count() == INVITATIONS_PER_HOUR_BY_ACCOUNT
    assert len(mail.outbox) == INVITATIONS_PER_HOUR_BY_ACCOUNT
    refused = invite("one-more@example.com")
    assert "invitations in the last hour" in refused.text
    assert "try again in an hour" in refused.text


def test_renewing_the_same_invitation_counts_towards_the_limit(cast, invite):
    for _ in range(INVITATIONS_PER_HOUR_BY_ACCOUNT):
        assert invite("same@example.com").status_code == 302
    assert invite("same@example.com").status_code == 400
    assert len(mail.outbox) == INVITATIONS_PER_HOUR_BY_ACCOUNT


def test_the_limit_lifts_after_an_hour(cast, invite):
    with time_machine.travel("2026-03-01 09:00Z", tick=False):
        for n in range(INVITATIONS_PER_HOUR_BY_ACCOUNT):
            invite(f"early{n}@example.com")
        assert invite("late@example.com").status_code == 400
    with time_machine.travel("2026-03-01 10:01Z", tick=False):
        assert invite("late@example.com").status_code == 302


def test_an_organisation_has_a_limit_of_its_own_across_its_admins(cast, invite):
    for n in range(INVITATIONS_PER_HOUR_BY_ORGANISATION):
        by = cast.admin if n % 2 else cast.owner
        assert invite(f"team{n}@example.com", by=by).status_code == 302
    refused = invite("over@example.com", by=cast.owner)
    assert refused.status_code == 400
    assert "Acme Missions has sent" in refused.text


def test_an_organisation_name_cannot_put_a_phishing_line_in_the_subject(cast, invite):
    cast.org.name = (
        "Acme\r\nURGENT: your account is locked, verify your password at evil.example now"
    )
    cast.org.save()

    invite("target@example.com")

    message = mail.outbox[0]
    subject = message.message()["Subject"]
    assert "\n" not in subject and "\r" not in subject
    assert (
        message.subject == "You're invited to Acme URGENT: your account is locked, ve… on Waymark"
    )
    assert "verify your password" not in message.subject
