import datetime

import pytest
from django.db.models.signals import pre_save
from django.urls import reverse

from missions.models import Goal, Milestone, Mission
from tests.factories import (
    AlignmentFactory,
    GoalFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    StakeholderLinkFactory,
)

MISSION = {
    "title": "Net zero by 2030",
    "purpose": "Cut our emissions to net zero.",
    "problem": "Our ovens and vans burn gas and diesel.",
    "beneficiaries": "Our neighbours and our customers' children.",
    "end_state": "By 2030, every loaf is baked and delivered without fossil fuel.",
    "starts_on": "2026-01-01",
    "ends_on": "2030-12-31",
    "owner": "member@acme.example",
    "status": "active",
    "visibility": "organisation",
}


@pytest.fixture
def mission(cast):
    return MissionFactory(
        organisation=cast.org, title="Zero waste", slug="zero-waste", owner=cast.member
    )


# The mission page and its goals and milestones are drawn by reporting (they show metrics).
ON_THE_MISSION_PAGE = {
    "detail": "reporting:mission",
    **{
        name: f"reporting:{name}"
        for name in [
            "goal_add",
            "goal_edit",
            "goal_move",
            "milestone_add",
            "milestone_edit",
            "milestone_move",
            "milestone_done",
        ]
    },
}


def url(name, *args):
    return reverse(ON_THE_MISSION_PAGE.get(name, f"missions:{name}"), args=["acme", *args])


def test_admin_defines_a_mission(cast, login):
    response = login(cast.admin).post(url("create"), MISSION)

    mission = Mission.objects.get(organisation=cast.org)
    assert response["Location"] == "/o/acme/missions/net-zero-by-2030/"
    assert mission.owner == cast.member
    assert mission.ends_on == datetime.date(2030, 12, 31)
    assert mission.end_state.startswith("By 2030")


def test_end_date_before_start_date_is_refused_with_a_message(cast, login):
    response = login(cast.admin).post(url("create"), MISSION | {"ends_on": "2025-06-01"})
    assert response.status_code == 400
    assert "The end date must be after the start date." in response.text
    assert not Mission.objects.exists()


def test_a_duplicate_title_is_refused_with_a_message(cast, login, mission):
    response = login(cast.admin).post(url("create"), MISSION | {"title": "ZERO WASTE"})
    assert response.status_code == 400
    assert "Another mission already has this title." in response.text
    assert Mission.objects.count() == 1


def test_an_owner_from_another_organisation_is_refused(cast, login):
    response = login(cast.admin).post(url("create"), MISSION | {"owner": cast.outsider.email})
    assert "Select a valid choice" in response.text
    assert not Mission.objects.exists()


def test_a_title_that_would_clash_with_a_page_gets_another_slug(cast, login):
    login(cast.admin).post(url("create"), MISSION | {"title": "Templates"})
    assert Mission.objects.get().slug == "templates-2"


def test_member_cannot_create_missions(cast, login):
    assert login(cast.member).post(url("create"), MISSION).status_code == 403
    assert not Mission.objects.exists()


def test_the_mission_owner_edits_it(cast, login, mission):
    response = login(cast.member).post(
        url("edit", "zero-waste"), MISSION | {"title": "Zero waste", "version": "1"}
    )
    assert response.status_code == 302
    mission.refresh_from_db()
    assert mission.purpose == MISSION["purpose"]


def test_a_viewer_cannot_edit_and_nothing_changes(cast, login, mission):
    client = login(cast.viewer)
    assert client.get(url("edit", "zero-waste")).status_code == 403
    assert client.post(url("edit", "zero-waste"), MISSION).status_code == 403
    mission.refresh_from_db()
    assert mission.title == "Zero waste"


def test_a_member_who_does_not_own_it_cannot_edit(cast, login, mission):
    mission.owner = cast.admin
    mission.save()
    assert login(cast.member).post(url("edit", "zero-waste"), MISSION).status_code == 403


def test_a_failed_edit_keeps_the_stored_mission_and_shows_the_message(cast, login, mission):
    response = login(cast.admin).post(
        url("edit", "zero-waste"), MISSION | {"title": "", "version": "1"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.text
    mission.refresh_from_db()
    assert mission.title == "Zero waste"


def test_archiving_keeps_the_mission_readable_and_restores(cast, login, mission):
    client = login(cast.admin)
    client.post(url("archive", "zero-waste"))
    mission.refresh_from_db()
    assert mission.is_archived
    link = f'href="{mission.get_absolute_url()}"'
    assert link not in client.get(url("list")).text
    assert link in client.get(url("list") + "?archived=1").text
    assert client.get(mission.get_absolute_url()).status_code == 200

    client.post(url("archive", "zero-waste"), {"action": "restore"})
    mission.refresh_from_db()
    assert not mission.is_archived


def test_an_archived_title_can_be_reused_but_then_not_restored_over(cast, login, mission):
    client = login(cast.admin)
    client.post(url("archive", "zero-waste"))
    client.post(url("create"), MISSION | {"title": "Zero waste"})
    response = client.post(url("archive", "zero-waste"), {"action": "restore"}, follow=True)
    assert "A live mission already has this title" in response.text
    mission.refresh_from_db()
    assert mission.is_archived


def test_private_missions_are_hidden_from_members_who_do_not_own_them(cast, login):
    MissionFactory(
        organisation=cast.org, title="Secret plan", slug="secret-plan", visibility="private"
    )
    assert "Secret plan" not in login(cast.member).get(url("list")).text
    assert login(cast.member).get(url("detail", "secret-plan")).status_code == 404
    assert "Secret plan" in login(cast.admin).get(url("list")).text


def test_owner_adds_goals_and_milestones(cast, login, mission):
    client = login(cast.member)
    client.post(url("goal_add", "zero-waste"), {"goal-title": "Halve food waste", "goal-weight": 3})
    client.post(
        url("milestone_add", "zero-waste"),
        {"milestone-title": "Compost deal signed", "milestone-due_on": "2027-03-01"},
    )
    goal = Goal.objects.get(mission=mission)
    assert (goal.title, goal.weight) == ("Halve food waste", 3)
    assert Milestone.objects.get(mission=mission).due_on == datetime.date(2027, 3, 1)


def test_quick_add_by_htmx_returns_the_goals_and_the_refreshed_health_check(cast, login, mission):
    response = login(cast.member).post(
        url("goal_add", "zero-waste"),
        {"goal-title": "Halve food waste", "goal-weight": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="goals"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert "It has no goals yet." not in response.text
    assert "<html" not in response.text


def test_the_quick_add_forms_come_by_htmx_with_the_cursor_in_them(cast, login, mission):
    client = login(cast.member)
    page = client.get(mission.get_absolute_url()).text
    assert 'name="goal-owner"' not in page  # the list of people is not sent until asked for
    for kind in ("goal", "milestone"):
        assert f'hx-get="{url(f"{kind}_add", "zero-waste")}"' in page
        fragment = client.get(url(f"{kind}_add", "zero-waste"), HTTP_HX_REQUEST="true").text
        assert "<html" not in fragment
        assert f'id="{kind}-add"' in fragment
        assert f'name="{kind}-title"' in fragment and "autofocus" in fragment


def test_the_quick_add_forms_have_pages_of_their_own_without_javascript(cast, login, mission):
    client = login(cast.member)
    response = client.get(url("goal_add", "zero-waste"))
    assert "<h1>Add a goal</h1>" in response.text and 'name="goal-owner"' in response.text
    response = client.get(url("milestone_add", "zero-waste"))
    assert "<h1>Add a milestone</h1>" in response.text
    assert login(cast.viewer).get(url("goal_add", "zero-waste")).status_code == 403


def test_a_bad_goal_weight_gets_a_message_and_saves_nothing(cast, login, mission):
    response = login(cast.member).post(
        url("goal_add", "zero-waste"),
        {"goal-title": "Too heavy", "goal-weight": 500},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Enter a weight from 1 to 100." in response.text
    assert not Goal.objects.exists()


def test_goals_are_reordered(cast, login, mission):
    first, _second, third = (GoalFactory(mission=mission, title=t) for t in "ABC")
    login(cast.admin).post(url("goal_move", "zero-waste", third.uid), {"direction": "up"})
    assert [g.title for g in mission.goals.all()] == ["A", "C", "B"]
    login(cast.admin).post(url("goal_move", "zero-waste", first.uid), {"direction": "up"})
    assert [g.title for g in mission.goals.all()] == ["A", "C", "B"]


def test_milestones_are_reordered_and_marked_done(cast, login, mission):
    first = MilestoneFactory(mission=mission, title="A")
    MilestoneFactory(mission=mission, title="B")
    client = login(cast.admin)
    client.post(url("milestone_move", "zero-waste", first.uid), {"direction": "down"})
    assert [m.title for m in mission.milestones.all()] == ["B", "A"]
    client.post(url("milestone_done", "zero-waste", first.uid), {"done": "1"})
    first.refresh_from_db()
    assert first.is_done


def test_a_viewer_cannot_add_goals(cast, login, mission):
    response = login(cast.viewer).post(
        url("goal_add", "zero-waste"), {"goal-title": "X", "goal-weight": 1}
    )
    assert response.status_code == 403
    assert not Goal.objects.exists()


def test_the_mission_page_shows_its_health_with_fixes(cast, login, mission):
    response = login(cast.member).get(mission.get_absolute_url())
    assert "It has no goals yet." in response.text
    assert "No team leads it." in response.text


def test_a_complete_mission_is_healthy(cast, login, mission):
    mission.ends_on = datetime.date(2030, 1, 1)
    mission.save()
    MetricFactory(goal__mission=mission)
    AlignmentFactory(mission=mission, role="lead")
    StakeholderLinkFactory(mission=mission)
    response = login(cast.member).get(mission.get_absolute_url())
    assert "Owned, dated, measured by outcomes" in response.text


def test_only_output_metrics_are_flagged(cast, login, mission):
    MetricFactory(goal__mission=mission, kind="output")
    response = login(cast.member).get(mission.get_absolute_url())
    assert "none measures the outcome" in response.text


def test_the_map_draws_missions_goals_and_milestones(cast, login, mission):
    GoalFactory(mission=mission, title="Halve food waste")
    MilestoneFactory(mission=mission, title="Compost deal", due_on=datetime.date(2020, 1, 1))
    response = login(cast.viewer).get(url("map"))
    assert "Halve food waste" in response.text
    assert "late, due 1 Jan 2020" in response.text


def test_the_edit_page_shows_the_stored_owner_so_saving_keeps_it(cast, login, mission):
    response = login(cast.admin).get(url("edit", "zero-waste"))
    assert '<option value="member@acme.example" selected>' in response.text


def test_the_goal_edit_page_shows_the_stored_owner(cast, login, mission):
    goal = GoalFactory(mission=mission, owner=cast.viewer)
    response = login(cast.admin).get(url("goal_edit", "zero-waste", goal.uid))
    assert '<option value="viewer@acme.example" selected>' in response.text


def test_date_fields_show_their_stored_dates_to_the_date_picker(cast, login, mission):
    mission.ends_on = datetime.date(2030, 12, 31)
    mission.save()
    response = login(cast.admin).get(url("edit", "zero-waste"))
    assert 'value="2030-12-31"' in response.text


def test_a_title_taken_between_checking_and_saving_gets_the_message_not_a_500(cast, login):
    """Two people create the same mission at once: the database's constraint decides."""

    def someone_else_first(sender, instance, **kwargs):
        pre_save.disconnect(someone_else_first, sender=Mission)
        MissionFactory(organisation=cast.org, title=instance.title, slug="theirs")

    pre_save.connect(someone_else_first, sender=Mission)
    try:
        response = login(cast.admin).post(url("create"), MISSION)
    finally:
        pre_save.disconnect(someone_else_first, sender=Mission)

    assert response.status_code == 400
    assert "Another mission already has this title." in response.text
    assert not Mission.objects.filter(slug="net-zero-by-2030").exists()
