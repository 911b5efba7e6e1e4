"""Deleting one's own account, and downloading one's own data (issue 17)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import CheckIn, Metric
from metrics.services import checkin_record
from missions.models import Idea, Mission, Visibility
from orgs.models import Invitation, Membership, User
from orgs.roles import Role
from tests.factories import (
    PASSWORD,
    GoalFactory,
    IdeaFactory,
    InvitationFactory,
    MembershipFactory,
    MetricFactory,
    MissionFactory,
)

DELETE = reverse("account_delete")
DATA = reverse("account_data")


@pytest.fixture
def owned(cast):
    """A mission, goal and metric the member owns, with a check-in and an idea of theirs."""
    mission = MissionFactory(organisation=cast.org, owner=cast.member, title="Member's mission")
    goal = GoalFactory(mission=mission, owner=cast.member)
    metric = MetricFactory(goal=goal, owner=cast.member, name="Member's metric")
    checkin = checkin_record(
        metric,
        value=Decimal(12),
        for_date=datetime.date(2026, 3, 1),
        confidence="on_track",
        note="Comment by the member",
        author=cast.member,
    )
    idea = IdeaFactory(mission=mission, author=cast.member, title="Member's idea")
    return mission, metric, checkin, idea


def test_the_email_must_be_typed_out(cast, login):
    response = login(cast.member).post(DELETE, {"email": "someone", "password": PASSWORD})
    assert response.status_code == 400
    assert "Type member@acme.example to confirm." in response.text
    assert User.objects.filter(pk=cast.member.pk).exists()


def test_the_page_spells_out_what_happens(cast, login):
    page = login(cast.member).get(DELETE)
    assert page.status_code == 200
    assert "lose their owner" in page.text
    assert "a former member" in page.text
    assert "Acme Missions" in page.text


def test_a_wrong_password_deletes_nothing(cast, login):
    response = login(cast.member).post(
        DELETE, {"email": "member@acme.example", "password": "not it"}
    )
    assert response.status_code == 400
    assert "That is not your password." in response.text
    assert User.objects.filter(pk=cast.member.pk).exists()


def test_deleting_disowns_what_they_owned_and_keeps_what_they_wrote(cast, login, owned):
    mission, metric, checkin, idea = owned
    client = login(cast.member)

    response = client.post(DELETE, {"email": "Member@acme.example", "password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(email="member@acme.example").exists()
    assert not Membership.objects.filter(user_id=cast.member.pk).exists()
    assert Mission.objects.get(pk=mission.pk).owner is None
    assert Metric.objects.get(pk=metric.pk).owner is None
    kept = CheckIn.objects.get(pk=checkin.pk)
    assert (kept.author, kept.note) == (None, "Comment by the member")
    assert Idea.objects.get(pk=idea.pk).author is None
    # Signed out: the next page asks them to log in.
    assert client.get(reverse("account_profile"))["Location"].startswith("/accounts/login/")
    # The metric page says who wrote the check-in as "a former member".
    page = login(cast.owner).get(reverse("metrics:detail", args=["acme", mission.slug, metric.uid]))
    assert "a former member" in page.text


def test_their_pending_invitations_stop_working(cast, login, client):
    invitation = InvitationFactory(organisation=cast.org, invited_by=cast.admin)
    login(cast.admin).post(DELETE, {"email": cast.admin.email, "password": PASSWORD})
    client.logout()
    response = client.get(reverse("invitation_accept", args=[invitation.token]))
    assert response.status_code == 410
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_the_only_owner_must_hand_the_organisation_over_first(cast, login):
    client = login(cast.owner)
    page = client.get(DELETE)
    assert "You are the only owner of" in page.text
    assert "Delete my account" not in page.text

    response = client.post(DELETE, {"email": cast.owner.email, "password": PASSWORD})

    assert response.status_code == 400
    assert User.objects.filter(pk=cast.owner.pk).exists()
    assert cast.membership(cast.owner).role == Role.OWNER


def test_one_of_two_owners_may_go(cast, login):
    Membership.objects.filter(user=cast.admin).update(role=Role.OWNER)
    login(cast.owner).post(DELETE, {"email": cast.owner.email, "password": PASSWORD})
    assert not User.objects.filter(pk=cast.owner.pk).exists()
    assert cast.org.owner_count() == 1


# --- Downloading one's own data ----------------------------------------------------------


def download(client) -> dict:
    response = client.get(DATA)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    return json.loads(b"".join(response.streaming_content))


def test_the_download_holds_their_profile_memberships_checkins_and_ideas(cast, login, owned):
    data = download(login(cast.member))

    assert data["profile"]["email"] == "member@acme.example"
    assert data["memberships"] == [
        {
            "organisation": "Acme Missions",
            "address": "acme",
            "role": "member",
            "joined_at": data["memberships"][0]["joined_at"],
        }
    ]
    (checkin,) = data["checkins"]
    assert (checkin["comment"], checkin["value"], checkin["metric"]) == (
        "Comment by the member",
        "12.0000",
        "Member's metric",
    )
    assert [idea["title"] for idea in data["ideas"]] == ["Member's idea"]


def test_the_download_holds_nobody_elses_data(cast, login, owned):
    _, metric, _, _ = owned
    checkin_record(
        metric,
        value=Decimal(13),
        for_date=datetime.date(2026, 3, 2),
        confidence="on_track",
        note="The owner's comment",
        author=cast.owner,
    )
    text = json.dumps(download(login(cast.member)))
    assert "The owner's comment" not in text
    assert "owner@acme.example" not in text


def test_a_checkin_on_a_mission_they_may_no_longer_see_does_not_name_it(cast, login, owned):
    mission, _, _, _ = owned
    Mission.objects.filter(pk=mission.pk).update(visibility=Visibility.PRIVATE, owner=cast.owner)
    (checkin,) = download(login(cast.member))["checkins"]
    assert (checkin["mission"], checkin["metric"], checkin["organisation"]) == (None, None, None)
    assert checkin["comment"] == "Comment by the member"


def test_the_download_is_read_a_chunk_at_a_time(cast, login, owned):
    _, metric, _, _ = owned
    for day in range(2, 30):
        checkin_record(
            metric,
            value=Decimal(day),
            for_date=datetime.date(2026, 3, day),
            confidence="on_track",
            author=cast.member,
        )
    other = MembershipFactory(user=cast.member, role=Role.VIEWER).organisation
    response = login(cast.member).get(DATA)
    with CaptureQueriesContext(connection) as queries:
        chunks = list(response.streaming_content)
    assert len(chunks) > 29  # written row by row as it is read, not built whole first
    assert len(queries) < 10
    data = json.loads(b"".join(chunks))
    assert len(data["checkins"]) == 29
    assert {m["address"] for m in data["memberships"]} == {"acme", other.slug}
