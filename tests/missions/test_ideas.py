import datetime
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from missions.ideas import idea_accept, idea_decline
from missions.models import Goal, Idea, IdeaSupport, Milestone
from orgs.services import RuleBroken
from tests.conftest import require_service
from tests.factories import (
    GoalFactory,
    IdeaFactory,
    MembershipFactory,
    MilestoneFactory,
    MissionFactory,
)


@pytest.fixture
def mission(cast):
    return MissionFactory(organisation=cast.org, title="Zero Waste", slug="zero-waste")


@pytest.fixture
def idea(cast, mission):
    return IdeaFactory(
        mission=mission,
        title="Refill station in every shop",
        description="Try it in two shops first.",
        author=cast.member,
    )


def ideas_url(mission):
    return reverse("missions:ideas", args=["acme", mission.slug])


def idea_url(name, idea):
    return reverse(f"missions:{name}", args=["acme", idea.mission.slug, idea.uid])


def queries_for(client, url: str) -> int:
    client.get(url)  # the first visit also stores the current organisation in the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# --- Reading and proposing --------------------------------------------------------------


def test_viewer_reads_ideas_with_supporter_counts(cast, login, idea):
    IdeaSupport.objects.create(idea=idea, user=cast.admin)
    IdeaSupport.objects.create(idea=idea, user=cast.owner)
    response = login(cast.viewer).get(ideas_url(idea.mission))
    assert response.status_code == 200
    assert "Refill station in every shop" in response.text
    assert "<strong>2</strong> supporters" in response.text
    assert "Open" in response.text
    assert "Propose an idea" not in response.text
    assert "Withdraw support" not in response.text and ">Support<" not in response.text


def test_member_proposes_an_idea(cast, login, mission):
    response = login(cast.member).post(
        ideas_url(mission), {"title": "Deposit on crates", "description": "Like bottles."}
    )
    idea = Idea.objects.get(mission=mission)
    assert response.status_code == 302
    assert response["Location"] == ideas_url(mission) + f"#idea-{idea.uid}"
    assert (idea.author, idea.state) == (cast.member, "open")


def test_an_idea_without_a_title_gets_a_clear_message(cast, login, mission):
    response = login(cast.member).post(ideas_url(mission), {"title": "  ", "description": "x"})
    assert response.status_code == 400
    assert "This field is required" in response.text
    assert not Idea.objects.exists()


def test_viewer_cannot_propose_an_idea(cast, login, mission):
    response = login(cast.viewer).post(ideas_url(mission), {"title": "Sneaky"})
    assert response.status_code == 403
    assert not Idea.objects.exists()


def test_ideas_under_a_private_mission_are_not_found_for_a_member(cast, login):
    secret = MissionFactory(organisation=cast.org, visibility="private")
    client = login(cast.member)
    assert client.get(ideas_url(secret)).status_code == 404
    assert client.post(ideas_url(secret), {"title": "Peek"}).status_code == 404


def test_open_ideas_come_first_then_the_most_supported(cast, login, mission):
    IdeaFactory(mission=mission, title="Declined one", state="declined", decision_note="No")
    quiet = IdeaFactory(mission=mission, title="Quiet one")
    popular = IdeaFactory(mission=mission, title="Popular one")
    IdeaSupport.objects.create(idea=popular, user=cast.admin)
    text = login(cast.viewer).get(ideas_url(mission)).text
    assert text.index(popular.title) < text.index(quiet.title) < text.index("Declined one")


# --- Support ------------------------------------------------------------------------------


def test_member_supports_an_idea_once_however_often_they_post(cast, login, idea):
    client = login(cast.member)
    for _ in range(2):
        response = client.post(idea_url("idea_support", idea), {"support": "1"})
        assert response.status_code == 302
    assert list(idea.supporters.all()) == [cast.member]


def test_member_withdraws_support(cast, login, idea):
    IdeaSupport.objects.create(idea=idea, user=cast.member)
    client = login(cast.member)
    client.post(idea_url("idea_support", idea), {"support": "0"})
    client.post(idea_url("idea_support", idea), {"support": "0"})
    assert not idea.supporters.exists()


def test_htmx_support_swaps_the_ideas_row(cast, login, idea):
    IdeaSupport.objects.create(idea=idea, user=cast.admin)
    response = login(cast.member).post(
        idea_url("idea_support", idea), {"support": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li class="idea idea-open" id="idea-{idea.uid}"')
    assert "<html" not in response.text
    assert "<strong>2</strong> supporters" in response.text
    assert "Withdraw support" in response.text
    assert "You support this idea" in response.text


def test_viewer_cannot_support_an_idea(cast, login, idea):
    response = login(cast.viewer).post(idea_url("idea_support", idea), {"support": "1"})
    assert response.status_code == 403
    assert not idea.supporters.exists()


def test_a_decided_idea_cannot_be_supported(cast, login, mission):
    decided = IdeaFactory(mission=mission, state="declined", decision_note="Too costly")
    response = login(cast.member).post(
        idea_url("idea_support", decided), {"support": "1"}, follow=True
    )
    assert "support for it is closed" in response.text
    assert not decided.supporters.exists()


def test_an_idea_of_another_mission_is_not_found_under_this_one(cast, login, mission):
    elsewhere = IdeaFactory(mission=MissionFactory(organisation=cast.org))
    url = reverse("missions:idea_support", args=["acme", mission.slug, elsewhere.uid])
    assert login(cast.member).post(url).status_code == 404


# --- Accepting ----------------------------------------------------------------------------


def test_admin_accepts_an_idea_as_a_goal_at_the_end(cast, login, idea):
    GoalFactory(mission=idea.mission, position=4)
    response = login(cast.admin).post(idea_url("idea_accept", idea), {"as": "goal"}, follow=True)
    idea.refresh_from_db()
    assert idea.state == "accepted"
    assert (idea.decided_by, idea.milestone) == (cast.admin, None)
    assert idea.decided_at is not None
    assert (idea.goal.title, idea.goal.description, idea.goal.position) == (
        "Refill station in every shop",
        "Try it in two shops first.",
        5,
    )
    assert "is accepted and is now a goal" in response.text
    assert "Now the goal" in response.text


def test_the_mission_owner_accepts_an_idea_as_a_milestone(cast, login):
    owned = MissionFactory(organisation=cast.org, owner=cast.member)
    idea = IdeaFactory(mission=owned)
    MilestoneFactory(mission=owned, position=0)
    response = login(cast.member).post(
        idea_url("idea_accept", idea), {"as": "milestone", "due_on": "2027-03-31"}
    )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.state == "accepted"
    assert (idea.milestone.due_on, idea.milestone.position) == (datetime.date(2027, 3, 31), 1)
    assert idea.goal is None


def test_a_milestone_needs_a_due_date(cast, login, idea):
    response = login(cast.admin).post(idea_url("idea_accept", idea), {"as": "milestone"})
    assert response.status_code == 400
    assert "A milestone needs a due date" in response.text
    idea.refresh_from_db()
    assert idea.state == "open"
    assert not Milestone.objects.exists()


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"as": "initiative"}, "Select a valid choice"),
        ({}, "Choose whether it becomes a goal or a milestone"),
        ({"as": "goal", "due_on": "next spring"}, "Enter a valid date"),
    ],
)
def test_bad_acceptances_get_a_clear_message(cast, login, idea, posted, message):
    response = login(cast.admin).post(idea_url("idea_accept", idea), posted)
    assert response.status_code == 400
    assert message in response.text
    idea.refresh_from_db()
    assert idea.state == "open"
    assert not Goal.objects.exists()


def test_accepting_an_idea_twice_changes_nothing_the_second_time(cast, login, idea):
    client = login(cast.admin)
    client.post(idea_url("idea_accept", idea), {"as": "goal"})

    response = client.post(
        idea_url("idea_accept", idea), {"as": "milestone", "due_on": "2027-01-01"}, follow=True
    )

    assert "has already been decided; nothing changed" in response.text
    assert Goal.objects.count() == 1
    assert not Milestone.objects.exists()
    idea.refresh_from_db()
    assert idea.state == "accepted"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_and_the_mission_owner_accept(cast, login, idea, role):
    response = login(getattr(cast, role)).post(idea_url("idea_accept", idea), {"as": "goal"})
    assert response.status_code == 403
    idea.refresh_from_db()
    assert idea.state == "open"
    assert not Goal.objects.exists()


def test_accepting_needs_a_post(cast, login, idea):
    assert login(cast.admin).get(idea_url("idea_accept", idea)).status_code == 405


# --- Declining ----------------------------------------------------------------------------


def test_admin_declines_an_idea_with_a_reason(cast, login, idea):
    response = login(cast.admin).post(
        idea_url("idea_decline", idea), {"reason": "  We tried this in 2023.  "}, follow=True
    )
    idea.refresh_from_db()
    assert (idea.state, idea.decision_note, idea.decided_by) == (
        "declined",
        "We tried this in 2023.",
        cast.admin,
    )
    assert "Reason: We tried this in 2023." in response.text


def test_declining_without_a_reason_gets_a_clear_message(cast, login, idea):
    response = login(cast.admin).post(idea_url("idea_decline", idea), {"reason": "   "})
    assert response.status_code == 400
    assert "Give a reason, so the person who proposed it knows why" in response.text
    idea.refresh_from_db()
    assert idea.state == "open"


def test_declining_an_accepted_idea_changes_nothing(cast, login, idea):
    client = login(cast.admin)
    client.post(idea_url("idea_accept", idea), {"as": "goal"})
    response = client.post(
        idea_url("idea_decline", idea), {"reason": "Changed my mind"}, follow=True
    )
    assert "has already been decided; nothing changed" in response.text
    idea.refresh_from_db()
    assert (idea.state, idea.decision_note) == ("accepted", "")


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_and_the_mission_owner_decline(cast, login, idea, role):
    response = login(getattr(cast, role)).post(idea_url("idea_decline", idea), {"reason": "No"})
    assert response.status_code == 403
    idea.refresh_from_db()
    assert idea.state == "open"


# --- The decision itself, when two people decide at once ------------------------------


def test_a_stale_idea_cannot_be_accepted_after_someone_else_declined_it(cast, idea):
    """Both admins loaded the idea while it was open; the second to act changes nothing."""
    seen_by_first, seen_by_second = Idea.objects.get(pk=idea.pk), Idea.objects.get(pk=idea.pk)
    idea_decline(seen_by_first, reason="Not now", decided_by=cast.admin)

    with pytest.raises(RuleBroken):
        idea_accept(seen_by_second, into="goal", decided_by=cast.owner)

    idea.refresh_from_db()
    assert (idea.state, idea.decided_by, idea.goal) == ("declined", cast.admin, None)
    assert not Goal.objects.exists()


def test_a_stale_idea_cannot_be_accepted_twice(cast, idea):
    seen_by_first, seen_by_second = Idea.objects.get(pk=idea.pk), Idea.objects.get(pk=idea.pk)
    idea_accept(seen_by_first, into="goal", decided_by=cast.admin)

    with pytest.raises(RuleBroken):
        idea_accept(
            seen_by_second,
            into="milestone",
            due_on=datetime.date(2027, 1, 1),
            decided_by=cast.owner,
        )

    assert Goal.objects.count() == 1
    assert not Milestone.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_admins_accepting_at_once_make_one_goal(cast):
    require_service(
        connection.vendor == "postgresql",
        "PostgreSQL (two connections deciding at once need its row locks)",
    )
    idea = IdeaFactory(mission=MissionFactory(organisation=cast.org))
    both_loaded = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user, into: str) -> None:
        try:
            seen = Idea.objects.get(pk=idea.pk)
            both_loaded.wait(timeout=10)
            idea_accept(seen, into=into, due_on=datetime.date(2027, 1, 1), decided_by=user)
            outcomes.append("accepted")
        except RuleBroken:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=accept, args=(cast.admin, "goal")),
        threading.Thread(target=accept, args=(cast.owner, "milestone")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["accepted", "refused"]
    assert Goal.objects.count() + Milestone.objects.count() == 1


# --- Query counts -------------------------------------------------------------------------


def grow(org, mission, n: int) -> None:
    for _ in range(n):
        supporter = MembershipFactory(organisation=org).user
        open_idea = IdeaFactory(mission=mission)
        IdeaSupport.objects.create(idea=open_idea, user=supporter)
        IdeaFactory(mission=mission, state="accepted", goal=GoalFactory(mission=mission))
        IdeaFactory(
            mission=mission,
            state="accepted",
            milestone=MilestoneFactory(mission=mission),
            decided_by=supporter,
        )
        IdeaFactory(mission=mission, state="declined", decision_note="No", decided_by=supporter)


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_ideas_tab_query_count_does_not_grow(cast, login, mission, role):
    client = login(getattr(cast, role))
    grow(cast.org, mission, 2)
    before = queries_for(client, ideas_url(mission))

    grow(cast.org, mission, 10)

    assert queries_for(client, ideas_url(mission)) == before
