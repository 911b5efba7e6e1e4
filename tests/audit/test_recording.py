"""Every change to missions, goals, metrics and check-ins is recorded, through forms and
through the ORM's bulk paths alike: who, when, and the tracked fields before and after."""

import datetime
from decimal import Decimal

import pytest
from celery import shared_task
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.actors import Actor, acting_as
from audit.models import Action, Change, Subject
from metrics.models import CheckIn, Metric
from metrics.services import Reading, checkin_record, checkins_import, metric_refresh_latest
from missions.models import Goal, Mission
from tests.factories import GoalFactory, MetricFactory, MissionFactory

MISSION_FORM = {
    "title": "Zero waste",
    "purpose": "Send nothing to landfill.",
    "starts_on": "2026-01-01",
    "ends_on": "2030-12-31",
    "owner": "member@acme.example",
    "status": "active",
    "visibility": "organisation",
}


@pytest.fixture
def mission(cast):
    return MissionFactory(
        organisation=cast.org, title="Zero waste", slug="zero-waste", purpose="Send nothing."
    )


@pytest.fixture
def metric(cast, mission):
    return MetricFactory(
        goal=GoalFactory(mission=mission, title="Less landfill"),
        name="Landfill",
        target_value=Decimal("100"),
    )


def changes_to(obj, action=None):
    rows = Change.objects.filter(object_id=obj.pk, subject=obj._meta.model_name).order_by("id")
    return list(rows.filter(action=action) if action else rows)


def record(metric, user, value, on="2026-02-01"):
    return checkin_record(
        metric,
        value=Decimal(value),
        for_date=datetime.date.fromisoformat(on),
        author=user,
        confidence="on_track",
    )


# ---- Through the pages ----


def test_editing_a_mission_through_its_form_records_who_and_what_changed(cast, login, mission):
    url = reverse("missions:edit", args=["acme", mission.slug])

    login(cast.admin).post(
        url, MISSION_FORM | {"title": "Less waste", "status": "paused", "version": mission.version}
    )

    [change] = changes_to(mission, Action.UPDATE)
    assert change.actor == cast.admin
    assert change.actor_label == "Acme Admin"
    assert change.organisation == cast.org
    assert change.before == {
        "title": "Zero waste",
        "status": "active",
        "owner": None,
        "purpose": "Send nothing.",
        "ends_on": None,
        "starts_on": str(mission.starts_on),
    }
    assert change.after["title"] == "Less waste"
    assert change.after["status"] == "paused"
    assert change.after["owner"] == cast.member.pk
    assert "slug" not in change.after  # unchanged fields are not repeated


def test_creating_a_mission_records_its_fields(cast, login):
    login(cast.admin).post(reverse("missions:create", args=["acme"]), MISSION_FORM)

    [change] = Change.objects.filter(subject=Subject.MISSION)
    assert change.action == Action.CREATE
    assert change.before == {}
    assert change.after["title"] == "Zero waste"
    assert change.object_label == "Zero waste"
    assert change.actor == cast.admin


def test_editing_a_metric_records_the_target_but_not_the_bookkeeping_that_follows(
    cast, login, metric
):
    url = reverse("metrics:edit", args=["acme", metric.mission.slug, metric.uid])
    form = {
        "name": "Landfill",
        "kind": "outcome",
        "format": "number",
        "direction": "increase",
        "baseline_value": "10",
        "baseline_on": "2026-01-01",
        "target_value": "120",
        "target_on": "2028-01-01",
        "cadence": "weekly",  # moves next_due_on, which is not recorded
        "weight": "1",
        "version": metric.version,
    }

    response = login(cast.admin).post(url, form)

    assert response.status_code == 302
    [change] = changes_to(metric, Action.UPDATE)
    assert change.before == {"target_value": "100.0000", "cadence": "monthly"}
    assert change.after == {"target_value": "120.0000", "cadence": "weekly"}
    assert change.metric_ref == metric.pk
    assert change.mission_ref == metric.mission_id


def test_a_check_in_and_its_correction_are_recorded_with_the_value_they_replace(cast, metric):
    first = record(metric, cast.member, "12")
    correction = record(metric, cast.admin, "14")  # the same date: a correction

    [created] = changes_to(first, Action.CREATE)
    assert created.after["value"] == "12.0000"
    assert created.metric_ref == metric.pk
    [retired] = changes_to(first, Action.UPDATE)
    assert (retired.before, retired.after) == ({"is_current": True}, {"is_current": False})
    [corrected] = changes_to(correction, Action.CREATE)
    assert corrected.after["corrects"] == first.pk
    assert corrected.after["value"] == "14.0000"


# ---- Bookkeeping is not history ----


def test_keeping_the_latest_check_in_on_the_metric_records_nothing(cast, metric):
    before = Change.objects.count()

    metric_refresh_latest(metric)
    Metric.objects.filter(pk=metric.pk).update(next_due_on=datetime.date(2030, 1, 1))
    metric.latest_value = Decimal("5")
    metric.save()  # a full save that moves only a derived field

    assert Change.objects.count() == before


def test_an_update_that_changes_nothing_tracked_records_nothing(cast, mission):
    before = Change.objects.count()

    Mission.objects.filter(pk=mission.pk).update(status=mission.status)
    mission.save()

    assert Change.objects.count() == before


# ---- The bulk paths ----


def test_a_filtered_update_records_a_change_for_each_row_it_moved(cast, mission):
    paused = MissionFactory(organisation=cast.org, status="paused")
    other = MissionFactory(organisation=cast.other_org)

    updated = Mission.objects.filter(organisation=cast.org).update(
        status="paused", owner=cast.admin
    )

    assert updated == 2
    [change] = changes_to(mission, Action.UPDATE)
    assert change.before == {"status": "active", "owner": None}
    assert change.after == {"status": "paused", "owner": cast.admin.pk}
    [only_owner] = changes_to(paused, Action.UPDATE)
    assert only_owner.after == {"owner": cast.admin.pk}
    assert changes_to(other, Action.UPDATE) == []


def test_an_update_of_rows_that_no_longer_match_updates_and_records_nothing(cast, metric):
    checkin = record(metric, cast.member, "12")
    retire = CheckIn.objects.filter(pk=checkin.pk, is_current=True)

    assert retire.update(is_current=False) == 1
    assert retire.update(is_current=False) == 0  # the optimistic check still works
    assert len(changes_to(checkin, Action.UPDATE)) == 1


def test_bulk_update_records_each_goal(cast, mission):
    goals = [GoalFactory(mission=mission, title=f"Goal {n}", weight=1) for n in range(3)]
    for n, goal in enumerate(goals):
        goal.weight = n + 2
    goals[0].title = "Renamed"

    Goal.objects.bulk_update(goals, ["title", "weight"])

    changes = {c.object_id: c for c in Change.objects.filter(action=Action.UPDATE)}
    assert changes[goals[0].pk].after == {"title": "Renamed", "weight": 2}
    assert changes[goals[1].pk].before == {"weight": 1}
    assert changes[goals[2].pk].after == {"weight": 4}
    assert changes[goals[2].pk].mission_ref == mission.pk
    assert changes[goals[2].pk].organisation == cast.org


def test_bulk_create_records_each_row(cast, metric):
    created = checkins_import(
        metric,
        [Reading(datetime.date(2026, 2, day), Decimal(day), "on_track") for day in (1, 2, 3)],
        author=cast.member,
    )

    recorded = Change.objects.filter(subject=Subject.CHECKIN, action=Action.CREATE)
    assert sorted(c.object_id for c in recorded) == sorted(c.pk for c in created)
    assert {c.after["value"] for c in recorded} == {"1.0000", "2.0000", "3.0000"}
    assert {c.metric_ref for c in recorded} == {metric.pk}


def test_deleting_a_mission_records_it_and_the_goals_and_metrics_that_go_with_it(
    cast, mission, metric
):
    loose = MetricFactory(goal=None, mission=mission, name="Loose")
    goal, mission_pk = metric.goal, mission.pk

    mission.delete()

    deleted = Change.objects.filter(action=Action.DELETE)
    assert {(c.subject, c.object_id) for c in deleted} == {
        ("mission", mission_pk),
        ("goal", goal.pk),
        ("metric", metric.pk),
        ("metric", loose.pk),
    }
    assert next(c for c in deleted if c.subject == "goal").before["title"] == "Less landfill"
    assert {c.mission_ref for c in deleted} == {mission_pk}


def test_a_queryset_delete_records_each_row(cast, mission):
    goals = [GoalFactory(mission=mission) for _ in range(3)]

    Goal.objects.filter(mission=mission).delete()

    deleted = Change.objects.filter(action=Action.DELETE, subject=Subject.GOAL)
    assert sorted(c.object_id for c in deleted) == sorted(g.pk for g in goals)


def test_a_change_that_cannot_be_recorded_is_not_made(cast, mission, monkeypatch):
    saved = GoalFactory(mission=mission, title="Kept")
    updated = GoalFactory(mission=mission, weight=1)

    def refuse(*args, **kwargs):
        raise RuntimeError("the history table is unavailable")

    monkeypatch.setattr("audit.tracking._save", refuse)
    saved.title = "Lost"
    with pytest.raises(RuntimeError):
        saved.save()
    with pytest.raises(RuntimeError):
        Goal.objects.filter(pk=updated.pk).update(weight=9)

    assert Goal.objects.get(pk=saved.pk).title == "Kept"
    assert Goal.objects.get(pk=updated.pk).weight == 1


@pytest.mark.parametrize(
    "write",
    [
        lambda org: Goal.objects.filter(mission__organisation=org).update(weight=7),
        lambda org: Goal.objects.bulk_update(
            [Goal(pk=g.pk, title=f"{g.title}!") for g in Goal.objects.all()], ["title"]
        ),
        lambda org: Goal.objects.bulk_create(
            Goal(mission=m, title="More") for m in Mission.objects.all()
        ),
        # Check-ins: deleting missions, goals or metrics also runs the share-page cache
        # receivers (reporting.signals), which make a query per row of their own.
        lambda org: CheckIn.objects.filter(metric__mission__organisation=org).delete(),
    ],
    ids=["update", "bulk_update", "bulk_create", "delete"],
)
def test_the_bulk_paths_take_the_same_number_of_queries_for_many_rows(cast, write):
    def grow(n: int) -> None:
        for _ in range(n):
            metric = MetricFactory(goal__mission__organisation=cast.org)
            CheckIn.objects.create(metric=metric, value=1, for_date=datetime.date(2026, 2, 1))

    grow(2)
    few_rows = Change.objects.count()
    with CaptureQueriesContext(connection) as few:
        write(cast.org)
    recorded_few = Change.objects.count() - few_rows
    CheckIn.objects.all().delete()
    Mission.objects.all().delete()
    Change.objects.all().delete()

    grow(20)
    many_rows = Change.objects.count()
    with CaptureQueriesContext(connection) as many:
        write(cast.org)
    recorded_many = Change.objects.count() - many_rows

    assert recorded_many > recorded_few > 0
    assert len(many) == len(few)


# ---- Who ----


@shared_task
def rename_goal(goal_id: int, title: str) -> None:
    Goal.objects.filter(pk=goal_id).update(title=title)


def test_a_celery_task_changes_things_as_the_system_even_when_run_inside_a_request(cast, mission):
    goal = GoalFactory(mission=mission)

    with acting_as(Actor(user=cast.admin, label="Acme Admin")):
        rename_goal.delay(goal.pk, "Renamed by a task")
        goal.title = "Renamed by a person"
        goal.save()

    by_task, by_person = changes_to(goal, Action.UPDATE)
    assert (by_task.actor, by_task.actor_label) == (None, "system")
    assert by_task.request_id  # the task's id
    assert (by_person.actor, by_person.actor_label) == (cast.admin, "Acme Admin")


def test_a_management_command_changes_things_as_the_system(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    recorded = Change.objects.all()
    assert recorded.filter(subject=Subject.MISSION).exists()
    assert set(recorded.values_list("actor_label", flat=True)) == {"system"}
    assert not recorded.filter(actor__isnull=False).exists()
