"""Changing missions, goals and milestones through the API, with real HTTP against a live
server: the pages' forms and saves, partial updates, a stale version refused with nothing
changed, and the pages' rule on who may change what."""

import datetime

import pytest

from audit.models import Change
from core import events
from missions.models import Goal, Milestone, Mission, MissionStatus
from tests.api.conftest import make_token
from tests.api.test_api import assert_problem
from tests.factories import GoalFactory, MilestoneFactory, MissionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    found: list[tuple[str, dict]] = []

    def listen(sender, organisation_id, name, payload, **kwargs):
        found.append((name, payload))

    events.event_happened.connect(listen)
    yield found
    events.event_happened.disconnect(listen)


def stored(row) -> dict:
    """Every column of a row as stored now, to show a refused request changed nothing."""
    fresh = type(row).objects.get(pk=row.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def mission_path(world) -> str:
    return f"/orgs/acme/missions/{world.mission.slug}"


# ---- Missions ----------------------------------------------------------------------------


def test_a_mission_patch_changes_what_was_sent_and_keeps_the_rest(api, world, heard):
    cast = world.cast
    owner = api(make_token(cast.org, cast.owner))
    read = owner.get(mission_path(world)).json()
    assert read["version"] == 1 and read["state"] == MissionStatus.ACTIVE
    answer = owner.patch(
        mission_path(world),
        json={"version": 1, "purpose": "Halve emissions by 2030.", "state": "paused"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["purpose"] == "Halve emissions by 2030."
    assert body["state"] == "paused" and body["version"] == 2
    # What was not sent is as it was.
    for name in ("title", "problem", "beneficiaries", "end_state", "ends_on", "starts_on"):
        assert body[name] == read[name], name
    mission = Mission.objects.get(pk=world.mission.pk)
    assert mission.purpose == "Halve emissions by 2030." and mission.status == "paused"
    assert mission.owner == cast.owner and mission.edited_by == cast.owner
    # Audited as the pages audit, with the token named.
    change = Change.objects.filter(subject="mission", object_id=mission.pk).latest("at")
    assert change.actor == cast.owner
    assert change.actor_label == f"{cast.owner.display_name} (API token “Test”)"
    assert change.after["status"] == "paused"
    # The change of state is announced, as from the edit page.
    assert [name for name, _ in heard] == [events.MISSION_STATUS_CHANGED]
    assert heard[0][1]["previous_status"] == MissionStatus.ACTIVE


def test_a_patch_that_leaves_the_state_alone_announces_nothing(api, world, heard):
    owner = api(make_token(world.cast.org, world.cast.owner))
    answer = owner.patch(mission_path(world), json={"version": 1, "title": "Cut more"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["title"] == "Cut more"
    assert heard == []


def test_a_stale_version_is_refused_and_nothing_changes(api, world):
    cast = world.cast
    owner = api(make_token(cast.org, cast.owner))
    first = owner.patch(mission_path(world), json={"version": 1, "purpose": "First edit."})
    assert first.status_code == 200
    before = stored(world.mission)
    # A second program still holding version 1 would overwrite the first edit.
    late = owner.patch(mission_path(world), json={"version": 1, "purpose": "Second edit."})
    body = assert_problem(late, 409, "version_conflict")
    assert "version 2" in body["detail"] and cast.owner.display_name in body["detail"]
    assert body["errors"] == [{"field": "version", "message": "Version 2 is stored now."}]
    assert stored(world.mission) == before
    # A version nobody has made is refused the same way.
    assert_problem(
        owner.patch(mission_path(world), json={"version": 99, "purpose": "x"}),
        409,
        "version_conflict",
    )
    assert stored(world.mission) == before


def test_a_patch_without_a_version_is_refused_naming_it(api, world):
    owner = api(make_token(world.cast.org, world.cast.owner))
    before = stored(world.mission)
    body = assert_problem(
        owner.patch(mission_path(world), json={"purpose": "No version"}), 422, "validation_failed"
    )
    assert [error["field"] for error in body["errors"]] == ["version"]
    assert stored(world.mission) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2020-01-01"}, "ends_on"),  # before the mission starts
        ({"title": ""}, "title"),
        ({"title": "Secret acquisition"}, "title"),  # another mission's title
        ({"state": "finished"}, "state"),
        ({"owner": "someone@else.example"}, "owner"),  # not a field the API edits
        ({"purpose": "x" * 5000}, "purpose"),
    ],
)
def test_a_bad_mission_change_is_refused_naming_its_field(api, world, change, field):
    owner = api(make_token(world.cast.org, world.cast.owner))
    before = stored(world.mission)
    answer = owner.patch(mission_path(world), json={"version": 1} | change)
    body = assert_problem(answer, 422, "validation_failed")
    assert field in [error["field"] for error in body["errors"]], body
    assert stored(world.mission) == before


# ---- Goals and milestones ----------------------------------------------------------------


def test_a_goal_patch_changes_what_was_sent(api, world):
    cast = world.cast
    goal = world.metric.goal
    Goal.objects.filter(pk=goal.pk).update(description="Keep me", weight=2)
    owner = api(make_token(cast.org, cast.owner))
    path = f"/orgs/acme/goals/{goal.uid}"
    read = owner.get(path).json()
    assert read["version"] == 1 and read["weight"] == 2
    answer = owner.patch(path, json={"version": 1, "title": "Tonnes down", "due_on": "2027-03-31"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["title"], body["due_on"], body["version"]) == ("Tonnes down", "2027-03-31", 2)
    assert (body["description"], body["weight"]) == ("Keep me", 2)
    change = Change.objects.filter(subject="goal", object_id=goal.pk).latest("at")
    assert "API token “Test”" in change.actor_label
    # Stale: refused, nothing changed.
    before = stored(goal)
    assert_problem(owner.patch(path, json={"version": 1, "weight": 5}), 409, "version_conflict")
    bad = owner.patch(path, json={"version": 2, "weight": -1})
    assert [e["field"] for e in assert_problem(bad, 422, "validation_failed")["errors"]] == [
        "weight"
    ]
    assert stored(goal) == before


def test_a_goal_given_to_an_invitee_keeps_them_through_a_partial_patch(api, world):
    from orgs.models import Invitation

    cast = world.cast
    invitation = Invitation.objects.create(
        organisation=cast.org, email="new@acme.example", role="member", invited_by=cast.owner
    )
    goal = GoalFactory(mission=world.mission, owner_invitation=invitation)
    owner = api(make_token(cast.org, cast.owner))
    answer = owner.patch(f"/orgs/acme/goals/{goal.uid}", json={"version": 1, "title": "Renamed"})
    assert answer.status_code == 200, answer.text
    goal.refresh_from_db()
    assert goal.title == "Renamed" and goal.owner_invitation == invitation


def test_a_milestone_patch_marks_it_done_and_refuses_a_stale_version(api, world):
    cast = world.cast
    milestone = MilestoneFactory(mission=world.mission, title="Audit the fleet")
    owner = api(make_token(cast.org, cast.owner))
    path = f"/orgs/acme/milestones/{milestone.uid}"
    read = owner.get(path).json()
    answer = owner.patch(path, json={"version": read["version"], "done": True})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["done_on"] is not None and body["title"] == "Audit the fleet"
    assert body["due_on"] == read["due_on"] and body["version"] != read["version"]
    before = stored(milestone)
    stale = owner.patch(path, json={"version": read["version"], "title": "Overwritten"})
    assert "is stored now" in assert_problem(stale, 409, "version_conflict")["errors"][0]["message"]
    assert stored(milestone) == before
    # Renamed and not done, with the new version; a bad date names its field.
    bad = owner.patch(path, json={"version": body["version"], "due_on": "someday"})
    assert [e["field"] for e in assert_problem(bad, 422, "validation_failed")["errors"]] == [
        "due_on"
    ]
    again = owner.patch(
        path, json={"version": body["version"], "title": "Fleet audited", "done": False}
    )
    assert again.status_code == 200, again.text
    milestone.refresh_from_db()
    assert (milestone.title, milestone.done_on) == ("Fleet audited", None)
    assert milestone.due_on == datetime.date(2027, 6, 30)


# ---- Who may ----------------------------------------------------------------------------


def test_who_may_patch_is_the_pages_rule(api, world):
    cast = world.cast
    milestone = MilestoneFactory(mission=world.mission)
    goal = world.metric.goal
    paths = [
        mission_path(world),
        f"/orgs/acme/goals/{goal.uid}",
        f"/orgs/acme/milestones/{milestone.uid}",
    ]
    rows = [world.mission, goal, milestone]
    before = [stored(row) for row in rows]
    tokens = {
        "insufficient_scope": [
            make_token(cast.org, cast.owner, scopes=("read",)),
            make_token(cast.org, cast.owner, scopes=("read", "check-in")),
        ],
        "forbidden": [
            # A viewer, whatever the scopes; a member who does not own the mission; an
            # admin's token capped at member.
            make_token(cast.org, cast.viewer, role="viewer"),
            make_token(cast.org, cast.member, role="member"),
            make_token(cast.org, cast.admin, role="member"),
        ],
    }
    for code, secrets in tokens.items():
        for secret in secrets:
            for path in paths:
                answer = api(secret).patch(path, json={"version": 1, "title": "Hijacked"})
                assert_problem(answer, 403, code)
    assert [stored(row) for row in rows] == before
    # The member who owns a mission may change it, as on its page.
    theirs = MissionFactory(organisation=cast.org, title="Member's own", owner=cast.member)
    member = api(make_token(cast.org, cast.member, role="member"))
    answer = member.patch(f"/orgs/acme/missions/{theirs.slug}", json={"version": 1, "title": "Own"})
    assert answer.status_code == 200, answer.text


def test_another_organisations_rows_look_missing(api, world):
    cast = world.cast
    theirs = MissionFactory(organisation=cast.other_org, title="Their mission")
    goal = GoalFactory(mission=theirs)
    milestone = MilestoneFactory(mission=theirs)
    owner = api(make_token(cast.org, cast.owner))
    missing = owner.patch("/orgs/acme/missions/no-such", json={"version": 1}).json()
    for path in (
        f"/orgs/acme/missions/{theirs.slug}",
        f"/orgs/acme/goals/{goal.uid}",
        f"/orgs/acme/milestones/{milestone.uid}",
        f"/orgs/other-co/missions/{theirs.slug}",
        "/orgs/acme/goals/not-a-uid",
    ):
        answer = owner.patch(path, json={"version": 1, "title": "Taken over"})
        assert_problem(answer, 404, "not_found")
        assert answer.json() == missing
    assert Mission.objects.get(pk=theirs.pk).title == "Their mission"
    assert Goal.objects.get(pk=goal.pk).version == 1
    assert Milestone.objects.get(pk=milestone.pk).title == milestone.title
    # A private mission is as missing to a member who cannot see it.
    member = api(make_token(cast.org, cast.member, role="member"))
    hidden = member.patch(f"/orgs/acme/missions/{world.private.slug}", json={"version": 1})
    assert hidden.json() == missing


def test_an_edit_on_the_pages_makes_the_apis_version_stale(api, world, login):
    """The page and the API share one version: neither overwrites the other's edit."""
    from django.urls import reverse

    from tests.editables import as_loaded

    cast = world.cast
    milestone = MilestoneFactory(mission=world.mission, title="Audit the fleet")
    owner = api(make_token(cast.org, cast.owner))
    read_mission = owner.get(mission_path(world)).json()["version"]
    read_milestone = owner.get(f"/orgs/acme/milestones/{milestone.uid}").json()["version"]
    client = login(cast.owner)
    edit = reverse("missions:edit", args=["acme", world.mission.slug])
    form = client.get(edit).context["form"]
    client.post(edit, as_loaded(form) | {"purpose": "Typed on the page."})
    done = reverse("reporting:milestone_done", args=["acme", world.mission.slug, milestone.uid])
    client.post(done, {"done": "1"})
    assert Mission.objects.get(pk=world.mission.pk).purpose == "Typed on the page."
    assert Milestone.objects.get(pk=milestone.pk).done_on is not None
    late = owner.patch(mission_path(world), json={"version": read_mission, "purpose": "API"})
    assert_problem(late, 409, "version_conflict")
    late = owner.patch(
        f"/orgs/acme/milestones/{milestone.uid}", json={"version": read_milestone, "done": False}
    )
    assert_problem(late, 409, "version_conflict")
    assert Mission.objects.get(pk=world.mission.pk).purpose == "Typed on the page."
    assert Milestone.objects.get(pk=milestone.pk).done_on is not None


def test_a_body_that_is_not_json_is_a_problem_not_a_crash(api, world):
    owner = api(make_token(world.cast.org, world.cast.owner))
    before = stored(world.mission)
    answer = owner.patch(
        mission_path(world), data="{version: 1", headers={"Content-Type": "application/json"}
    )
    assert_problem(answer, 400, "bad_request")
    assert stored(world.mission) == before


def test_a_title_taken_between_the_check_and_the_save_is_a_422(api, world, monkeypatch):
    """Two renames to one title at the same moment: the form's check passes for both,
    the database's constraint refuses the second, and it is answered naming the title."""
    from missions.models import MissionQuerySet

    monkeypatch.setattr(MissionQuerySet, "title_taken", lambda *args, **kwargs: False)
    owner = api(make_token(world.cast.org, world.cast.owner))
    before = stored(world.mission)
    answer = owner.patch(mission_path(world), json={"version": 1, "title": world.private.title})
    body = assert_problem(answer, 422, "validation_failed")
    assert [error["field"] for error in body["errors"]] == ["title"]
    assert stored(world.mission) == before
