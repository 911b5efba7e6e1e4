"""Admins and owners read a mission's and a metric's change history on its own page."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from audit.models import Change
from metrics.models import Metric
from metrics.services import checkin_record
from missions.models import Goal, Mission
from tests.factories import GoalFactory, MetricFactory, MissionFactory
from tests.orgs.test_query_counts import queries_for


@pytest.fixture
def mission(cast):
    cast.org.time_zone = "America/New_York"
    cast.org.save()
    return MissionFactory(organisation=cast.org, title="Zero waste", slug="zero-waste")


@pytest.fixture
def metric(mission):
    return MetricFactory(
        goal=GoalFactory(mission=mission, title="Less landfill"),
        name="Landfill",
        unit="tonnes",
        target_value=Decimal("100"),
    )


def mission_history(mission):
    return reverse("reporting:mission_history", args=["acme", mission.slug])


def metric_history(metric):
    return reverse("reporting:metric_history", args=["acme", metric.mission.slug, metric.uid])


def edit_metric(client, metric, **change):
    form = {
        "name": metric.name,
        "kind": "outcome",
        "unit": "tonnes",
        "format": "number",
        "direction": "increase",
        "baseline_value": "10",
        "baseline_on": "2026-01-01",
        "target_value": "100",
        "target_on": "2028-01-01",
        "cadence": "monthly",
        "weight": "1",
        "version": str(metric.version),
    } | change
    url = reverse("metrics:edit", args=["acme", metric.mission.slug, metric.uid])
    assert client.post(url, form).status_code == 302


@time_machine.travel("2026-03-02 19:05Z", tick=False)
def test_an_admin_sees_who_changed_the_mission_and_its_goals_field_by_field(
    cast, login, mission, metric
):
    client = login(cast.admin)
    client.post(
        reverse("reporting:goal_edit", args=["acme", mission.slug, metric.goal.uid]),
        {"title": "No landfill", "weight": "3", "version": str(metric.goal.version)},
    )
    Mission.objects.filter(pk=mission.pk).update(status="paused")

    page = client.get(mission_history(mission)).content.decode()

    assert "Acme Admin</strong> changed the goal “No landfill”" in page
    assert '<del><span class="visually-hidden">was </span>Less landfill</del>' in page
    assert '<ins><span class="visually-hidden">now </span>3</ins>' in page
    assert "System</strong> changed the mission" in page
    assert '<del><span class="visually-hidden">was </span>Active</del>' in page
    assert "2 Mar 2026, 14:05" in page  # New York's afternoon, not UTC's evening
    assert "America/New York" in page


@time_machine.travel("2026-06-15 12:00Z")
def test_the_metric_history_shows_a_corrected_value_and_who_corrected_it(cast, login, metric):
    check_in = reverse("metrics:check_in", args=["acme", metric.mission.slug, metric.uid])
    reading = {"confidence": "on_track", "note": "", "for_date": "2026-02-01"}
    assert login(cast.admin).post(check_in, reading | {"value": "12"}).status_code == 302
    # The same date again: a correction.
    assert login(cast.owner).post(check_in, reading | {"value": "14"}).status_code == 302
    client = login(cast.owner)
    edit_metric(client, metric, target_value="120")

    page = client.get(metric_history(metric)).content.decode()

    assert (
        "Acme Owner</strong> corrected the value for 1 Feb 2026 from 12 tonnes to 14 tonnes" in page
    )
    assert "Acme Owner</strong> replaced the value for 1 Feb 2026" in page
    assert "Current value" not in page  # the sentence says it
    assert "Acme Admin</strong> checked in 12 tonnes for 1 Feb 2026" in page
    assert "Target:</span>" in page
    assert "120 tonnes</ins>" in page
    # The metric's own page records no bookkeeping: one change for the edit, none for
    # the latest value the check-ins kept on it.
    assert page.count("changed the metric") == 1


def test_a_deleted_goal_keeps_its_history_on_the_mission_page(cast, login, mission):
    goal = GoalFactory(mission=mission, title="Short-lived")
    Goal.objects.filter(pk=goal.pk).delete()

    page = login(cast.admin).get(mission_history(mission)).content.decode()

    assert "deleted the goal “Short-lived”" in page
    assert "added the goal “Short-lived”" in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("admin", 200), ("member", 403), ("viewer", 403), ("outsider", 404)],
)
def test_only_admins_and_owners_read_the_history(cast, login, metric, who, status):
    client = login(getattr(cast, who))
    assert client.get(mission_history(metric.mission)).status_code == status
    assert client.get(metric_history(metric)).status_code == status


def test_the_history_of_another_organisations_mission_is_not_found(cast, login):
    theirs = MetricFactory(goal__mission__organisation=cast.other_org)
    client = login(cast.admin)
    assert (
        client.get(
            reverse("reporting:metric_history", args=["acme", theirs.mission.slug, theirs.uid])
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("reporting:mission_history", args=["acme", theirs.mission.slug])
        ).status_code
        == 404
    )


@pytest.mark.parametrize("who", ["admin", "member"])
def test_the_object_pages_link_to_their_history_for_admins_only(cast, login, metric, who):
    client = login(getattr(cast, who))
    mission_page = client.get(metric.mission.get_absolute_url()).content.decode()
    metric_page = client.get(
        reverse("metrics:detail", args=["acme", metric.mission.slug, metric.uid])
    ).content.decode()

    assert (mission_history(metric.mission) in mission_page) == (who == "admin")
    assert (metric_history(metric) in metric_page) == (who == "admin")


def test_the_history_comes_a_page_at_a_time_newest_first(cast, login, mission):
    goal = GoalFactory(mission=mission, weight=1)
    for weight in range(2, 32):
        Goal.objects.filter(pk=goal.pk).update(weight=weight)
    client = login(cast.admin)

    first = client.get(mission_history(mission)).content.decode()
    second = client.get(mission_history(mission) + "?page=2").content.decode()
    nonsense = client.get(mission_history(mission) + "?page=lots")

    assert first.index("now </span>31</ins>") < first.index("now </span>30</ins>")
    assert "now </span>2</ins>" not in first
    assert "now </span>2</ins>" in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert nonsense.status_code == 200


def test_the_history_pages_take_the_same_number_of_queries_however_long_the_history(
    cast, login, mission, metric
):
    def grow(n: int) -> None:
        for day in range(1, n + 1):
            goal = GoalFactory(mission=mission, owner=cast.member)
            other = MetricFactory(goal=goal, mission=mission, owner=cast.admin)
            other.goal = GoalFactory(mission=mission)
            other.save()
            Goal.objects.filter(pk=goal.pk).update(owner=cast.viewer, title=f"Goal {day}!")
            # The metric's own history names goals and people on every page, too.
            Metric.objects.filter(pk=metric.pk).update(goal=goal, owner=cast.member)
            for user, value in ((cast.member, day), (cast.admin, day + 1)):  # and a correction
                checkin_record(
                    metric,
                    value=Decimal(value),
                    for_date=datetime.date(2026, 2, day),
                    author=user,
                    confidence="on_track",
                )

    client = login(cast.admin)
    grow(1)
    few = (
        queries_for(client, mission_history(mission)),
        queries_for(client, metric_history(metric)),
    )

    grow(12)

    many = (
        queries_for(client, mission_history(mission)),
        queries_for(client, metric_history(metric)),
    )
    assert Change.objects.count() > 50
    assert many == few
