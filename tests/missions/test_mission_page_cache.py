"""The mission page is served from the cache until something it shows changes, with each
reader's own CSRF token and only what their rights let them see."""

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from metrics.services import checkin_record
from missions.ideas import idea_decline
from missions.models import Goal
from tests.factories import (
    AlignmentFactory,
    GoalFactory,
    IdeaFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    ResourceFactory,
    StakeholderLinkFactory,
)


@pytest.fixture
def mission(cast):
    mission = MissionFactory(organisation=cast.org, owner=cast.member, status="active")
    MilestoneFactory(mission=mission, title="Pilot in three boroughs")
    return mission


def test_a_second_visit_reads_no_mission_data(cast, login, mission, django_assert_num_queries):
    client = login(cast.admin)
    first = client.get(mission.get_absolute_url())
    # The user, their memberships (the access check and the organisation menu), the
    # mission; the session is in the cache. Nothing under it.
    with django_assert_num_queries(3):
        again = client.get(mission.get_absolute_url())
    assert "Pilot in three boroughs" in again.text
    assert _without_tokens(again.text) == _without_tokens(first.text)


def _without_tokens(page: str) -> str:
    # CSRF tokens and script nonces differ on every response.
    return re.sub(r'"[-\w]{20,}"', '""', page)


def _shows_after(client, mission, change, django_capture_on_commit_callbacks) -> str:
    client.get(mission.get_absolute_url())  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        change()
    return client.get(mission.get_absolute_url()).text


def test_a_check_in_shows_at_once(cast, login, mission, django_capture_on_commit_callbacks):
    metric = MetricFactory(goal=GoalFactory(mission=mission), name="Homes retrofitted")
    page = _shows_after(
        login(cast.admin),
        mission,
        lambda: checkin_record(
            metric,
            value=Decimal("37"),
            for_date=datetime.date.today(),
            author=cast.member,
            confidence="on_track",
        ),
        django_capture_on_commit_callbacks,
    )
    assert "<strong>37</strong>" in page


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (lambda m: AlignmentFactory(mission=m, team__name="Retrofit crew"), "Retrofit crew"),
        (lambda m: ResourceFactory(mission=m, name="Retrofit grant"), "Retrofit grant"),
        (lambda m: IdeaFactory(mission=m), "1 open idea of 1"),
    ],
)
def test_teams_resources_and_ideas_show_at_once(
    cast, login, mission, change, shown, django_capture_on_commit_callbacks
):
    page = _shows_after(
        login(cast.admin), mission, lambda: change(mission), django_capture_on_commit_callbacks
    )
    assert shown in page


def test_a_stakeholder_link_clears_the_health_check(
    cast, login, mission, django_capture_on_commit_callbacks
):
    client = login(cast.admin)
    assert "No stakeholders are linked" in client.get(mission.get_absolute_url()).text
    page = _shows_after(
        client,
        mission,
        lambda: StakeholderLinkFactory(mission=mission),
        django_capture_on_commit_callbacks,
    )
    assert "No stakeholders are linked" not in page


def test_a_declined_idea_leaves_the_open_count(
    cast, login, mission, django_capture_on_commit_callbacks
):
    idea = IdeaFactory(mission=mission)
    client = login(cast.admin)
    assert "1 open idea of 1" in client.get(mission.get_absolute_url()).text
    page = _shows_after(
        client,
        mission,
        lambda: idea_decline(idea, reason="Covered by goal one", decided_by=cast.admin),
        django_capture_on_commit_callbacks,
    )
    assert "0 open ideas of 1" in page


def test_a_renamed_team_shows_at_once(cast, login, mission, django_capture_on_commit_callbacks):
    team = AlignmentFactory(mission=mission, team__name="Retrofit crew").team

    def rename() -> None:
        team.name = "Warm homes crew"
        team.save()

    page = _shows_after(login(cast.admin), mission, rename, django_capture_on_commit_callbacks)
    assert "Warm homes crew" in page


def test_a_renamed_person_shows_at_once(cast, login, mission, django_capture_on_commit_callbacks):
    GoalFactory(mission=mission, owner=cast.member)

    def rename() -> None:
        cast.member.name = "Mo Member"
        cast.member.save(update_fields=["name"])

    page = _shows_after(login(cast.admin), mission, rename, django_capture_on_commit_callbacks)
    assert page.count("Mo Member") >= 2  # the mission's owner and the goal's


def test_a_login_does_not_empty_the_cache(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        cast.member.last_login = datetime.datetime.now(tz=datetime.UTC)
        cast.member.save(update_fields=["last_login"])
    assert callbacks == []


def test_each_reader_gets_a_working_token_of_their_own(cast, mission, client):
    milestone = mission.milestones.get()
    client.force_login(cast.admin)
    client.get(mission.get_absolute_url())  # rendered, and cached, for the admin

    owner = Client(enforce_csrf_checks=True)
    owner.force_login(cast.member)  # the mission's owner may mark it done too
    milestones = owner.get(mission.get_absolute_url()).text.split('id="milestones"')[1]
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', milestones))
    assert len(tokens) == 1
    done = reverse("reporting:milestone_done", args=["acme", mission.slug, milestone.uid])
    response = owner.post(done, {"csrfmiddlewaretoken": tokens.pop(), "done": "1"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on is not None


def test_rights_are_part_of_what_is_cached(cast, login, mission):
    admin_page = login(cast.admin).get(mission.get_absolute_url()).text
    assert "Edit mission" in admin_page
    assert "Change history" in admin_page

    viewer = Client()
    viewer.force_login(cast.viewer)
    viewer_page = viewer.get(mission.get_absolute_url()).text
    assert "Pilot in three boroughs" in viewer_page
    assert "Edit mission" not in viewer_page
    assert "Mark done" not in viewer_page
    assert "csrfmiddlewaretoken" not in viewer_page.split('id="milestones"')[1]


def _check_in(metric, member) -> None:
    checkin_record(
        metric,
        value=Decimal("12"),
        for_date=datetime.date.today(),
        author=member,
        confidence="on_track",
    )


def test_a_check_in_elsewhere_leaves_the_page_cached_and_a_rename_does_not(
    cast, login, mission, django_capture_on_commit_callbacks
):
    goal = GoalFactory(mission=mission, title="Retrofit 500 homes")
    elsewhere = MetricFactory(goal__mission=MissionFactory(organisation=cast.org))
    client = login(cast.admin)
    client.get(mission.get_absolute_url())
    # A change no signal reports shows how long the cached page lives.
    Goal.objects.filter(pk=goal.pk).update(title="Retrofit 800 homes")

    with django_capture_on_commit_callbacks(execute=True):
        _check_in(elsewhere, cast.member)
    assert "Retrofit 500 homes" in client.get(mission.get_absolute_url()).text

    with django_capture_on_commit_callbacks(execute=True):
        cast.admin.name = "Ada Admin"
        cast.admin.save(update_fields=["name"])
    assert "Retrofit 800 homes" in client.get(mission.get_absolute_url()).text
