"""Each event is announced once, from the one place its change happens, after it commits."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import events
from metrics.catalogue import SME_TEMPLATES
from metrics.services import checkin_correct, checkin_record, mission_create_from_template
from missions.models import Mission, MissionStatus, Report
from reporting.reports import report_publish
from tests.editables import as_loaded
from tests.factories import MetricFactory, MissionFactory


@pytest.fixture
def heard():
    found: list[tuple[int, str, dict]] = []

    def listen(sender, organisation_id, name, payload, **kwargs):
        found.append((organisation_id, name, payload))

    events.event_happened.connect(listen)
    yield found
    events.event_happened.disconnect(listen)


def names(heard) -> list[str]:
    return [name for _, name, _ in heard]


def test_a_checkin_is_announced_after_it_commits(cast, heard, django_capture_on_commit_callbacks):
    metric = MetricFactory(goal__mission=MissionFactory(organisation=cast.org))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        checkin = checkin_record(
            metric,
            value=Decimal("12"),
            for_date=timezone.localdate(),
            author=cast.admin,
            confidence="on_track",
        )
    assert heard == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert names(heard) == [events.CHECKIN_RECORDED, events.METRIC_STATUS_CHANGED]
    organisation_id, _, payload = heard[0]
    assert organisation_id == cast.org.pk
    assert payload["checkin"]["uid"] == str(checkin.uid)
    assert payload["checkin"]["author"] == cast.admin.display_name
    assert payload["metric"]["uid"] == str(metric.uid)
    assert heard[1][2]["previous_status"] == "no_data"


def test_a_rolled_back_checkin_announces_nothing(cast, heard):
    metric = MetricFactory(goal__mission=MissionFactory(organisation=cast.org))
    with pytest.raises(RuntimeError), transaction.atomic():
        checkin_record(
            metric,
            value=Decimal("12"),
            for_date=timezone.localdate(),
            author=cast.admin,
            confidence="on_track",
        )
        raise RuntimeError
    assert heard == []


def test_a_correction_is_announced_pointing_at_what_it_corrects(
    cast, heard, django_capture_on_commit_callbacks
):
    metric = MetricFactory(goal__mission=MissionFactory(organisation=cast.org))
    first = checkin_record(
        metric,
        value=Decimal("12"),
        for_date=timezone.localdate(),
        author=None,
        confidence="on_track",
    )
    with django_capture_on_commit_callbacks(execute=True):
        checkin_correct(first, value=Decimal("13"), author=cast.admin, confidence="on_track")
    [payload] = [p for _, name, p in heard if name == events.CHECKIN_RECORDED]
    assert payload["checkin"]["corrects"] == str(first.uid)
    assert payload["checkin"]["value"] == "13"


def test_creating_editing_the_status_of_and_archiving_a_mission_are_announced(
    cast, login, heard, django_capture_on_commit_callbacks
):
    client = login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("missions:create", args=[cast.org.slug]),
            {
                "title": "Cleaner air",
                "purpose": "Less smoke.",
                "starts_on": "2026-01-01",
                "status": MissionStatus.DRAFT,
                "visibility": "organisation",
            },
        )
    mission = Mission.objects.get(title="Cleaner air")
    assert names(heard) == [events.MISSION_CREATED]
    assert heard[0][2]["mission"]["slug"] == mission.slug

    edit = reverse("missions:edit", args=[cast.org.slug, mission.slug])
    form = client.get(edit).context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, as_loaded(form) | {"status": MissionStatus.ACTIVE})
    assert names(heard)[-1] == events.MISSION_STATUS_CHANGED
    assert heard[-1][2]["previous_status"] == MissionStatus.DRAFT
    assert heard[-1][2]["mission"]["status"] == MissionStatus.ACTIVE

    # An edit that leaves the status alone announces no change of it.
    form = client.get(edit).context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, as_loaded(form) | {"purpose": "Much less smoke."})
    assert names(heard).count(events.MISSION_STATUS_CHANGED) == 1

    archive = reverse("missions:archive", args=[cast.org.slug, mission.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(archive)
        client.post(archive)  # archived already: nothing more
    assert names(heard).count(events.MISSION_ARCHIVED) == 1
    assert heard[-1][2]["mission"]["archived"] is True


def test_a_mission_from_a_template_is_announced(cast, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mission = mission_create_from_template(cast.org, SME_TEMPLATES[0], cast.admin)
    assert names(heard) == [events.MISSION_CREATED]
    assert heard[0][2]["mission"]["slug"] == mission.slug


def test_publishing_a_report_is_announced_once(cast, heard, django_capture_on_commit_callbacks):
    mission = MissionFactory(organisation=cast.org)
    report = Report.objects.create(
        organisation=cast.org,
        title="Q1",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        author=cast.admin,
    )
    report.missions.set([mission])
    with django_capture_on_commit_callbacks(execute=True):
        report_publish(report, cast.admin)
    [(organisation_id, name, payload)] = heard
    assert (organisation_id, name) == (cast.org.pk, events.REPORT_PUBLISHED)
    assert payload["report"]["uid"] == str(report.uid)
    assert payload["report"]["missions"] == [mission.slug]
