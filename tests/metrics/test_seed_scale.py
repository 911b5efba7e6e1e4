"""The benchmark's data and pages: `seed_scale` builds what it says, once, and every page
`bench_targets` names answers the session it names."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from metrics.figures import figures_recompute
from metrics.models import CheckIn, Metric
from missions.models import Mission, Report, ShareLink
from orgs.models import Membership, Organisation
from reporting.management.commands import seed_scale

pytestmark = pytest.mark.django_db

SMALL = {
    "MISSIONS": 4,
    "GOALS_PER_MISSION": 2,
    "MEMBERS": 12,
    "CONTRIBUTORS": 6,
    "ACTIVE_MISSIONS": 3,
    "TEAMS": 3,
    "STAKEHOLDERS": 5,
    "METRICS": 10,
    "WEEKS": 6,
    "REPORTS": 2,
}


@pytest.fixture
def small_scale(monkeypatch):
    for name, value in SMALL.items():
        monkeypatch.setattr(seed_scale, name, value)


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


def test_seed_scale_builds_the_organisation_once(small_scale):
    seed()
    org = Organisation.objects.get(slug="scale-1")
    assert Mission.objects.filter(organisation=org).count() == 4
    assert Membership.objects.filter(organisation=org).count() == 12
    assert CheckIn.objects.filter(metric__mission__organisation=org).count() == 10 * 6
    for metric in Metric.objects.filter(mission__organisation=org):
        latest = metric.checkins.order_by("-for_date").first()
        assert (metric.latest_value, metric.latest_on) == (latest.value, latest.for_date)
        assert metric.next_due_on == metric.next_due_date()
        assert latest.created_at.date() == latest.for_date  # recorded on its day
    reports = Report.objects.filter(organisation=org)
    assert reports.count() == 2 and not reports.filter(published_at=None).exists()
    assert ShareLink.objects.filter(organisation=org).count() == 3
    # Seeded in bulk, yet with the figures every change would have kept.
    assert figures_recompute(write=False) == []
    assert not Mission.objects.filter(organisation=org, progress=None).exists()

    assert "already there" in seed()
    assert CheckIn.objects.count() == 10 * 6


def test_more_organisations_are_alike_but_apart(small_scale):
    seed("--orgs", "2")
    first, second = (Organisation.objects.get(slug=f"scale-{n}") for n in (1, 2))
    assert Metric.objects.filter(mission__organisation=first).count() == (
        Metric.objects.filter(mission__organisation=second).count()
    )
    strangers = Membership.objects.filter(
        organisation=second, user__email__endswith="scale-1.example"
    )
    assert not strangers.exists()


def test_every_benchmarked_page_answers(small_scale):
    seed()
    out = io.StringIO()
    call_command("bench_targets", stdout=out)
    targets = json.loads(out.getvalue())
    assert {"Dashboard", "Mission page", "My check-ins", "Share page", "Published report"} <= set(
        targets["pages"]
    )
    for label, (path, who) in targets["pages"].items():
        client = Client()
        if who:
            client.cookies["sessionid"] = targets["sessions"][who]
        response = client.get(path)
        assert response.status_code == 200, label
        assert (who is None) == ("Log out" not in response.text), label
