import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.progress import Status
from metrics.rollups import Rollup, combine
from metrics.services import checkin_record
from missions.models import Goal
from tests.factories import GoalFactory, MetricFactory, MissionFactory
from tests.orgs.test_query_counts import queries_for

TODAY = "2027-01-01 12:00Z"


def measured_metric(mission, user, values, weight=1, goal=None):
    metric = MetricFactory(
        goal=goal or GoalFactory(mission=mission),
        owner=user,
        weight=weight,
        baseline_value=Decimal("0"),
        baseline_on=datetime.date(2026, 1, 1),
        target_value=Decimal("100"),
        target_on=datetime.date(2028, 1, 1),
    )
    for month, value in enumerate(values, start=1):
        checkin_record(
            metric,
            value=Decimal(value),
            for_date=datetime.date(2026, month, 1),
            author=user,
            confidence="on_track",
        )
    return metric


def test_parts_combine_by_weight_and_trouble_reported_below_shows_above():
    on_track = Rollup(60.0, 50.0, Status.ON_TRACK)
    worried = Rollup(50.0, 50.0, Status.OFF_TRACK)
    assert combine([(on_track, 3), (worried, 1)]) == Rollup(57.5, 50.0, Status.AT_RISK)
    assert combine([(Rollup(None, None, Status.NO_DATA), 1)]).status == Status.NO_DATA


@time_machine.travel(TODAY)
def test_the_dashboard_shows_active_missions_with_rolled_up_progress(cast, login):
    mission = MissionFactory(organisation=cast.org, title="Net zero", status="active")
    goal = GoalFactory(mission=mission, weight=1)
    measured_metric(mission, cast.member, ["40", "50"], weight=3, goal=goal)
    measured_metric(mission, cast.member, ["10", "20"], weight=1, goal=goal)
    MissionFactory(organisation=cast.org, title="Still a draft", status="draft")

    response = login(cast.viewer).get(reverse("metrics:dashboard", args=["acme"]))

    assert "Net zero" in response.text
    assert "Still a draft" not in response.text
    # (50 * 3 + 20 * 1) / 4 = 42.5 % against 50 % expected halfway between the dates.
    assert "42" in response.text or "43" in response.text
    assert response.context["card"].progress.rollup.progress == pytest.approx(42.5)


@time_machine.travel(TODAY)
def test_the_dashboard_lists_overdue_check_ins(cast, login):
    mission = MissionFactory(organisation=cast.org, status="active")
    metric = measured_metric(mission, cast.member, ["10"])  # monthly, last on 1 Jan 2026
    response = login(cast.member).get(reverse("metrics:dashboard", args=["acme"]))
    assert metric.name in response.context["overdue"][0].name
    assert "1 check-in overdue" in response.text


@time_machine.travel(TODAY)
def test_the_dashboard_does_not_show_private_missions_to_members(cast, login):
    MissionFactory(
        organisation=cast.org, title="Secret merger", status="active", visibility="private"
    )
    response = login(cast.member).get(reverse("metrics:dashboard", args=["acme"]))
    assert "Secret merger" not in response.text


@time_machine.travel(TODAY)
def test_the_dashboard_query_count_does_not_grow(cast, login, uncached):
    client = login(cast.admin)
    url = reverse("metrics:dashboard", args=["acme"])
    measured_metric(MissionFactory(organisation=cast.org, status="active"), cast.member, ["5", "9"])
    before = queries_for(client, url)

    for _ in range(6):
        mission = MissionFactory(organisation=cast.org, status="active")
        measured_metric(mission, cast.member, ["5", "9", "12"])
        measured_metric(mission, cast.admin, ["1", "2"])

    assert queries_for(client, url) == before


@time_machine.travel(TODAY)
def test_the_mission_and_metric_pages_do_not_grow_with_check_ins(cast, login):
    mission = MissionFactory(organisation=cast.org, status="active")
    metric = measured_metric(mission, cast.member, ["5", "9"])
    client = login(cast.admin)
    metric_url = reverse("metrics:detail", args=["acme", mission.slug, metric.uid])
    before = (queries_for(client, mission.get_absolute_url()), queries_for(client, metric_url))

    for month in range(3, 13):
        checkin_record(
            metric,
            value=Decimal(month * 3),
            for_date=datetime.date(2026, month, 1),
            author=cast.member,
            confidence="on_track",
        )
    measured_metric(mission, cast.member, ["1", "2", "3"])

    after = (queries_for(client, mission.get_absolute_url()), queries_for(client, metric_url))
    assert after == before


@time_machine.travel(TODAY)
def test_the_dashboard_is_cached_until_a_check_in_changes_it(
    cast, login, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    mission = MissionFactory(organisation=cast.org, status="active")
    metric = measured_metric(mission, cast.member, ["5"])
    client = login(cast.admin)
    url = reverse("metrics:dashboard", args=["acme"])
    client.get(url)
    with django_assert_max_num_queries(6):  # session, user, membership, and no mission data
        client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        checkin_record(
            metric,
            value=Decimal("64"),
            for_date=datetime.date(2026, 12, 1),
            author=cast.member,
            confidence="on_track",
        )
    assert "64" in client.get(url).text


def test_with_no_active_mission_the_dashboard_counts_the_others_once(cast, login, uncached):
    client = login(cast.member)
    url = reverse("metrics:dashboard", args=["acme"])
    MissionFactory(organisation=cast.org, status="draft")
    one = queries_for(client, url)
    MissionFactory(organisation=cast.org, status="paused")

    with CaptureQueriesContext(connection) as captured:
        assert "2 missions are in draft or paused." in client.get(url).text
    counts = [q for q in captured if "COUNT(" in q["sql"] and "missions_mission" in q["sql"]]
    assert len(counts) == 1
    assert queries_for(client, url) == one


@time_machine.travel(TODAY)
def test_a_check_in_renders_only_its_own_missions_card_again(
    cast, login, django_capture_on_commit_callbacks
):
    busy = MissionFactory(organisation=cast.org, title="Net zero", status="active")
    metric = measured_metric(busy, cast.member, ["5"])
    quiet = MissionFactory(organisation=cast.org, title="Warm homes", status="active")
    goal = GoalFactory(mission=quiet, title="Retrofit 500 homes")
    client = login(cast.admin)
    url = reverse("metrics:dashboard", args=["acme"])
    client.get(url)
    # A change no signal reports shows which cards are rendered again.
    Goal.objects.filter(pk=goal.pk).update(title="Retrofit 800 homes")

    with django_capture_on_commit_callbacks(execute=True):
        checkin_record(
            metric,
            value=Decimal("64"),
            for_date=datetime.date(2026, 12, 1),
            author=cast.member,
            confidence="on_track",
        )
    page = client.get(url).text
    assert "64" in page
    assert "Retrofit 500 homes" in page
