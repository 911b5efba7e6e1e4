"""The figures stored on metrics, goals and missions stay current through every change
that moves them, and `recompute_figures` finds and fixes any that drift."""

import io
import json
import logging
import threading
import zipfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from metrics import catalogue
from metrics.figures import HEALTH_COUNTS, ROLLED_UP, figures_recompute
from metrics.forms import MetricForm
from metrics.models import Metric
from metrics.services import checkin_correct, checkin_record, mission_create_from_template
from metrics.tasks import sweep_figures
from missions.forms import GoalForm
from missions.models import Goal, Mission, StakeholderLink
from orgs.models import Organisation
from orgs.portability import organisation_export, organisation_import
from tests.conftest import require_service
from tests.editables import as_loaded
from tests.factories import (
    GoalFactory,
    MetricFactory,
    MissionFactory,
    StakeholderFactory,
    TeamFactory,
)

TODAY = "2027-01-01 12:00Z"  # halfway along every path below: 50 % expected

pytestmark = pytest.mark.django_db


def metric_on(goal: Goal, *, weight: int = 1, **fields) -> Metric:
    """A metric going from 0 to 100 between 2026 and 2028."""
    return MetricFactory(
        goal=goal,
        weight=weight,
        baseline_value=Decimal("0"),
        baseline_on=date(2026, 1, 1),
        target_value=Decimal("100"),
        target_on=date(2028, 1, 1),
        **fields,
    )


def read(user, metric: Metric, value: str, on: date = date(2026, 12, 1), **extra):
    extra.setdefault("confidence", "on_track")
    return checkin_record(metric, value=Decimal(value), for_date=on, author=user, **extra)


@pytest.fixture
def mission(cast):
    return MissionFactory(
        organisation=cast.org, title="Net zero", slug="net-zero", owner=cast.member
    )


@pytest.fixture
def goal(mission):
    return GoalFactory(mission=mission, title="Cut emissions", weight=1)


@pytest.fixture
def scene(cast, mission, goal):
    """Two metrics on a goal, read at 40 % (weight 3) and 80 % (weight 1): 50 % together."""
    heavy, light = metric_on(goal, weight=3), metric_on(goal, weight=1)
    read(cast.member, heavy, "40")
    read(cast.member, light, "80")
    return heavy, light


def stored(row) -> dict:
    """The figures the row holds in the database now."""
    model = type(row)
    names = {Metric: ("progress",), Goal: ROLLED_UP, Mission: (*ROLLED_UP, *HEALTH_COUNTS)}[model]
    return model.objects.values(*names).get(pk=row.pk)


def no_drift() -> bool:
    return figures_recompute(write=False) == []


# ---- Check-ins ----------------------------------------------------------------------------


def test_a_check_in_moves_its_metric_its_goal_and_its_mission(cast, mission, goal, scene):
    heavy, _ = scene
    read(cast.member, heavy, "60", on=date(2026, 12, 15), confidence="at_risk")

    assert stored(heavy) == {"progress": 60.0}
    # (60 * 3 + 80) / 4 = 65; the worried owner is the goal's and the mission's news.
    goal_figures = stored(goal)
    assert goal_figures == {
        "progress": 65.0,
        "expected_path": [["2026-01-01", "2028-01-01", 1.0]],
        "reported_confidence": "at_risk",
    }
    assert {name: stored(mission)[name] for name in ROLLED_UP} == goal_figures
    assert no_drift()


def test_a_correction_moves_the_figures_to_the_corrected_value(cast, goal, scene):
    heavy, _ = scene
    checkin_correct(
        heavy.checkins.get(), value=Decimal("20"), author=cast.admin, confidence="off_track"
    )

    assert stored(heavy) == {"progress": 20.0}
    assert stored(goal)["progress"] == (20 * 3 + 80) / 4
    assert stored(goal)["reported_confidence"] == "off_track"
    assert no_drift()


def test_deleting_a_metric_and_its_check_ins_leaves_the_rest_to_count(cast, mission, goal, scene):
    heavy, _ = scene
    heavy.delete()

    assert stored(goal)["progress"] == 80.0
    assert stored(mission)["progress"] == 80.0
    assert stored(mission)["metric_count"] == 1
    assert no_drift()


# ---- Metrics ------------------------------------------------------------------------------


@time_machine.travel(TODAY)
def test_a_metric_added_on_its_page_is_counted(cast, login, mission, goal, scene):
    url = reverse("metrics:add", args=["acme", mission.slug, goal.uid])
    data = {
        "name": "Fleet miles",
        "kind": "output",
        "format": "number",
        "direction": "increase",
        "cadence": "monthly",
        "weight": "1",
    }
    assert login(cast.member).post(url, data).status_code == 302

    counts = stored(mission)
    assert (counts["metric_count"], counts["outcome_metric_count"]) == (3, 2)
    assert counts["metrics_without_baseline"] == 1
    assert stored(goal)["progress"] == 50.0  # no reading yet: it does not count
    assert no_drift()


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    "change",
    [
        {"baseline_value": "20"},
        {"target_value": "50"},
        {"baseline_on": "2026-06-01"},
        {"target_on": "2027-06-30"},
        {"direction": "stay_above", "target_value": "30"},
        {"weight": "1"},
        {"kind": "output"},
    ],
    ids=["baseline", "target", "baseline date", "target date", "direction", "weight", "kind"],
)
def test_editing_a_metric_on_its_page_moves_its_figures(cast, login, mission, goal, scene, change):
    heavy, _ = scene
    before = [stored(heavy), stored(goal), stored(mission)]
    form = MetricForm(instance=Metric.objects.get(pk=heavy.pk), organisation=cast.org)
    url = reverse("metrics:edit", args=["acme", mission.slug, heavy.uid])

    response = login(cast.member).post(url, as_loaded(form) | change)

    assert response.status_code == 302
    assert [stored(heavy), stored(goal), stored(mission)] != before
    assert no_drift()


def test_a_metric_moved_to_another_goal_moves_both_goals(cast, mission, goal, scene):
    _, light = scene
    other = GoalFactory(mission=mission, weight=1)
    light.goal = other
    light.save()

    assert stored(goal)["progress"] == 40.0
    assert stored(other)["progress"] == 80.0
    assert stored(mission)["progress"] == 60.0
    assert stored(mission)["goals_without_metric"] == 0
    assert no_drift()


# ---- Goals --------------------------------------------------------------------------------


def test_a_goal_added_on_the_mission_page_is_counted(cast, login, mission, goal, scene):
    url = reverse("reporting:goal_add", args=["acme", mission.slug])
    login(cast.member).post(url, {"goal-title": "Green the fleet", "goal-weight": "2"})

    counts = stored(mission)
    assert (counts["goal_count"], counts["goals_without_metric"]) == (2, 1)
    assert counts["progress"] == 50.0  # a goal with no metric does not count
    assert no_drift()


def test_a_goal_weight_edited_on_its_page_moves_the_mission(cast, login, mission, goal, scene):
    other = GoalFactory(mission=mission, weight=1)
    read(cast.member, metric_on(other), "10")
    assert stored(mission)["progress"] == 30.0  # (50 + 10) / 2
    form = GoalForm(instance=Goal.objects.get(pk=goal.pk), organisation=cast.org)
    url = reverse("reporting:goal_edit", args=["acme", mission.slug, goal.uid])

    response = login(cast.member).post(url, as_loaded(form) | {"weight": "3"})

    assert response.status_code == 302
    assert stored(mission)["progress"] == 40.0  # (50 * 3 + 10) / 4
    assert no_drift()


def test_deleting_a_goal_takes_its_metrics_out_of_the_mission(cast, mission, goal, scene):
    other = GoalFactory(mission=mission, weight=1)
    read(cast.member, metric_on(other), "10")

    Goal.objects.get(pk=goal.pk).delete()

    figures = stored(mission)
    assert figures["progress"] == 10.0
    assert (figures["goal_count"], figures["metric_count"]) == (1, 1)
    assert no_drift()


def test_reordering_goals_moves_no_figure(cast, login, mission, goal, scene):
    GoalFactory(mission=mission)
    before = stored(mission)
    url = reverse("reporting:goal_move", args=["acme", mission.slug, goal.uid])

    login(cast.member).post(url, {"direction": "down"})

    assert list(mission.goals.values_list("pk", flat=True))[-1] == goal.pk
    assert stored(mission) == before
    assert no_drift()


# ---- Missions -----------------------------------------------------------------------------


def test_an_archived_mission_keeps_its_figures(cast, login, mission, scene):
    before = stored(mission)
    login(cast.admin).post(reverse("missions:archive", args=["acme", mission.slug]))

    assert Mission.objects.get(pk=mission.pk).is_archived
    assert stored(mission) == before
    assert before["progress"] == 50.0
    assert no_drift()


def test_a_mission_from_a_template_counts_its_goals_and_metrics(cast):
    template = catalogue.by_category()[0][1][0]
    mission = mission_create_from_template(cast.org, template, cast.owner, title="From a template")

    counts = stored(mission)
    assert counts["goal_count"] == len(template.goals)
    assert counts["metric_count"] == sum(len(goal.metrics) for goal in template.goals)
    assert counts["metrics_without_baseline"] == counts["metric_count"]  # theirs to record
    assert no_drift()


def test_a_lead_team_aligned_and_removed_is_counted(cast, login, mission):
    TeamFactory(organisation=cast.org, name="Operations", slug="operations")
    client = login(cast.admin)
    fields = {"team": "operations", "role": "lead", "capacity": "40", "note": ""}
    client.post(
        reverse("missions:alignment_add", args=["acme", mission.slug]),
        {f"alignment-{name}": value for name, value in fields.items()},
    )
    assert stored(mission)["lead_team_count"] == 1

    alignment = mission.alignments.get()
    client.post(reverse("missions:alignment_remove", args=["acme", mission.slug, alignment.uid]))

    assert stored(mission)["lead_team_count"] == 0
    assert no_drift()


def test_a_stakeholder_linked_and_unlinked_is_counted(cast, login, mission):
    supplier = StakeholderFactory(organisation=cast.org, name="Brick & Mortar Ltd")
    client = login(cast.admin)
    client.post(
        reverse("missions:stakeholders", args=["acme", mission.slug]),
        {"stakeholder": str(supplier.uid)},
    )
    assert stored(mission)["stakeholder_count"] == 1

    link = StakeholderLink.objects.get(mission=mission)
    client.post(reverse("missions:stakeholder_link_remove", args=["acme", mission.slug, link.uid]))

    assert stored(mission)["stakeholder_count"] == 0
    assert no_drift()


# ---- Imports ------------------------------------------------------------------------------


@time_machine.travel(TODAY)
def test_check_ins_imported_from_a_csv_file_move_the_figures(cast, login, mission, goal, scene):
    heavy, _ = scene
    client = login(cast.member)
    url = reverse("metrics:import", args=["acme", mission.slug, heavy.uid])
    csv = "date,value,confidence,comment\n2026-12-20,70,at_risk,\n"
    preview = client.post(url, {"file": SimpleUploadedFile("history.csv", csv.encode())})

    client.post(url, {"payload": preview.context["payload"]})

    assert stored(heavy) == {"progress": 70.0}
    assert stored(goal)["progress"] == (70 * 3 + 80) / 4
    assert stored(goal)["reported_confidence"] == "at_risk"
    assert no_drift()


def test_an_imported_organisation_gets_its_figures_from_its_rows(cast, mission, goal, scene):
    document = json.loads(
        zipfile.ZipFile(io.BytesIO(organisation_export(cast.org))).read("organisation.json")
    )
    for record in document["objects"]:
        # A file whose stored figures are wrong: an old export, or an edited one.
        if record["model"] in ("missions.mission", "missions.goal", "metrics.metric"):
            record["fields"]["progress"] = 1.0
        if record["model"] == "missions.mission":
            record["fields"]["metric_count"] = 99
    file = io.BytesIO()
    with zipfile.ZipFile(file, "w") as archive:
        archive.writestr("organisation.json", json.dumps(document))
    Organisation.objects.get(pk=cast.org.pk).delete()
    file.seek(0)

    imported = organisation_import(file).organisation

    again = Mission.objects.get(organisation=imported)
    assert (stored(again)["progress"], stored(again)["metric_count"]) == (50.0, 2)
    assert sorted(Metric.objects.values_list("progress", flat=True)) == [40.0, 80.0]
    assert no_drift()


def trend(metric: Metric) -> list[float]:
    return Metric.objects.values_list("trend", flat=True).get(pk=metric.pk)


def test_a_metric_keeps_the_trend_of_the_year_up_to_its_latest_reading(cast, goal):
    metric = metric_on(goal)
    assert trend(metric) == []
    read(cast.member, metric, "10", on=date(2025, 6, 1))  # more than a year before the last
    read(cast.member, metric, "30", on=date(2026, 3, 1))
    read(cast.member, metric, "20", on=date(2026, 1, 1))  # older, recorded later
    assert trend(metric) == [10.0, 20.0, 30.0]

    read(cast.member, metric, "45.5", on=date(2026, 9, 1))
    assert trend(metric) == [20.0, 30.0, 45.5]

    checkin_correct(
        metric.checkins.get(for_date=date(2026, 3, 1), is_current=True),
        value=Decimal("35"),
        author=cast.admin,
        confidence="on_track",
    )
    assert trend(metric) == [20.0, 35.0, 45.5]
    assert no_drift()


# ---- Finding drift ------------------------------------------------------------------------


def drift_some(mission: Mission, goal: Goal, metric: Metric) -> None:
    """Figures changed behind the models' backs, as a raw UPDATE would."""
    Metric.objects.filter(pk=metric.pk).update(progress=5.0)
    Goal.objects.filter(pk=goal.pk).update(reported_confidence="off_track")
    Mission.objects.filter(pk=mission.pk).update(goal_count=7)


def test_recompute_figures_reports_each_drifted_figure_and_fixes_it(mission, goal, scene):
    heavy, _ = scene
    drift_some(mission, goal, heavy)
    out = io.StringIO()

    call_command("recompute_figures", stdout=out)

    report = out.getvalue()
    assert f"metric {heavy.pk} progress: stored 5.0, computed 40.0" in report
    assert f"goal {goal.pk} reported_confidence: stored 'off_track', computed 'on_track'" in report
    assert f"mission {mission.pk} goal_count: stored 7, computed 1" in report
    assert "3 stored figure(s) had drifted; fixed." in report
    assert stored(heavy) == {"progress": 40.0}
    assert stored(mission)["goal_count"] == 1
    assert no_drift()


def test_recompute_figures_check_only_reports_and_fails(mission, goal, scene):
    heavy, _ = scene
    drift_some(mission, goal, heavy)
    out = io.StringIO()

    with pytest.raises(CommandError, match="3 stored figure") as failed:
        call_command("recompute_figures", "--check", stdout=out)

    assert failed.value.returncode == 1
    assert f"metric {heavy.pk} progress: stored 5.0, computed 40.0" in out.getvalue()
    assert stored(heavy) == {"progress": 5.0}  # left for the fix


def test_recompute_figures_finds_and_fixes_a_drifted_trend(scene):
    heavy, light = scene
    Metric.objects.filter(pk=heavy.pk).update(trend=[])
    Metric.objects.filter(pk=light.pk).update(trend=[1.0, 2.0])
    out = io.StringIO()

    call_command("recompute_figures", stdout=out)

    assert f"metric {heavy.pk} trend: stored [], computed [40.0]" in out.getvalue()
    assert f"metric {light.pk} trend: stored [1.0, 2.0], computed [80.0]" in out.getvalue()
    assert (trend(heavy), trend(light)) == ([40.0], [80.0])
    assert no_drift()


def test_recompute_figures_check_passes_when_nothing_drifted(scene):
    out = io.StringIO()
    call_command("recompute_figures", "--check", stdout=out)
    assert "0 stored figure(s) had drifted; found." in out.getvalue()


def test_the_nightly_sweep_fixes_drift_and_logs_it(mission, goal, scene, caplog):
    heavy, _ = scene
    drift_some(mission, goal, heavy)

    with caplog.at_level(logging.INFO, logger="metrics.tasks"):
        assert sweep_figures.delay().get() == 3

    assert "3 had drifted and are fixed" in caplog.text
    assert f"metric {heavy.pk} progress" in caplog.text
    assert no_drift()


# ---- At the same moment (PostgreSQL) ------------------------------------------------------


def together(*writes: Callable[[], object]) -> None:
    """Run each write in its own thread (its own connection and transaction), released
    at the same moment."""
    barrier = threading.Barrier(len(writes))
    failures: list[BaseException] = []

    def run(write: Callable[[], object]) -> None:
        try:
            barrier.wait()
            write()
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(write,)) for write in writes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.django_db(transaction=True)
def test_check_ins_on_one_goal_at_the_same_moment_both_count(cast):
    require_service(connection.vendor == "postgresql", "PostgreSQL (real concurrent writes)")
    goal = GoalFactory(mission=MissionFactory(organisation=cast.org), weight=1)
    first, second = metric_on(goal), metric_on(goal)

    for n in range(10):
        together(
            partial(read, cast.member, first, str(10 + n), on=date(2026, 2, 1 + n)),
            partial(read, cast.member, second, str(50 + n), on=date(2026, 2, 1 + n)),
        )
        # Each refresh waited for the other's commit, so neither reading went missing.
        assert stored(goal)["progress"] == pytest.approx((10 + n + 50 + n) / 2)

    assert no_drift()


@pytest.mark.django_db(transaction=True)
def test_a_goal_edit_and_a_check_in_under_it_at_the_same_moment_both_count(cast):
    require_service(connection.vendor == "postgresql", "PostgreSQL (real concurrent writes)")
    mission = MissionFactory(organisation=cast.org)
    goal, other = GoalFactory(mission=mission, weight=1), GoalFactory(mission=mission, weight=1)
    metric = metric_on(goal)
    read(cast.member, metric_on(other), "10")

    for n in range(10):
        version = Goal.objects.get(pk=goal.pk).version
        edited = Goal.objects.get(pk=goal.pk)
        edited.weight = 1 + n % 3
        together(
            partial(edited.save_edit, ["weight"], version=version, by=cast.admin),
            partial(read, cast.member, metric, str(40 + n), on=date(2026, 2, 1 + n)),
        )
        weight = 1 + n % 3
        assert stored(mission)["progress"] == pytest.approx(((40 + n) * weight + 10) / (weight + 1))

    assert no_drift()
