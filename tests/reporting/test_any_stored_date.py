"""Any date the database holds is drawn, whatever the forms allow today (old data, imports).

Issue 15 found a baseline on 0001-01-01 and a target on 9999-12-31 answering 500 on the
metric's page, the mission's share page and every report about it. Here the victim
organisation of the security walk (tests/security/conftest.py) gets the first and the
last day Python holds written straight into every date column, past the forms, and then
every page anyone can GET is drawn, with the digests, the reminders and the PDFs.
"""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client

from metrics.figures import figures_recompute
from metrics.models import CheckIn, Metric
from metrics.services import metric_refresh_latest
from missions.models import Goal, Milestone, Mission, Report, ShareLink, StakeholderLink
from orgs.models import Stakeholder
from reporting.digests import (
    member_digest,
    member_digest_email,
    member_digest_period,
    stakeholder_digest,
    stakeholder_digest_email,
    stakeholder_digest_period,
)
from reporting.reports import report_publish
from reporting.tasks import sweep_reminders
from tests.conftest import server_error
from tests.security.conftest import SECRETS, TODAY, build_victim
from tests.security.url_access import all_patterns

FIRST, LAST = datetime.date.min, datetime.date.max  # 0001-01-01 and 9999-12-31


@pytest.fixture
def frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def extremes(cast, frozen_day):
    """The victim organisation with every stored date at one end of the calendar."""
    victim = build_victim(cast)
    Mission.objects.update(starts_on=FIRST, ends_on=LAST)
    Goal.objects.update(due_on=LAST)
    Milestone.objects.update(due_on=FIRST)
    Milestone.objects.filter(pk__in=Milestone.objects.values("pk")[:1]).update(
        due_on=LAST, done_on=FIRST
    )
    StakeholderLink.objects.update(commitment_due_on=FIRST, commitment_met_on=LAST)
    Metric.objects.update(baseline_on=FIRST, target_on=LAST)
    for metric in Metric.objects.all():
        # A reading on each of the calendar's ends, besides the one it has: its latest is
        # on 31 Dec 9999, so it is next due after the last day there is.
        for on, value in ((FIRST, "1"), (LAST, "45")):
            CheckIn.objects.create(
                metric=metric, value=Decimal(value), for_date=on, author=cast.member
            )
        metric_refresh_latest(metric)
    # A metric with no baseline at all, whose readings are at both ends.
    bare = Metric.objects.create(
        mission=Mission.objects.get(slug="open-mission"),
        name="Bare metric",
        target_value=Decimal(90),
        target_on=LAST,
    )
    for on in (FIRST, LAST):
        CheckIn.objects.create(metric=bare, value=Decimal(3), for_date=on, author=cast.owner)
    metric_refresh_latest(bare)
    Report.objects.update(period_start=FIRST, period_end=LAST)
    ShareLink.objects.update(expires_at=datetime.datetime(9999, 12, 30, tzinfo=datetime.UTC))
    figures_recompute()
    # A report published now freezes those dates in its snapshot: its share page and
    # chart are drawn from them.
    frozen = Report.objects.create(
        organisation=cast.org,
        title="Calendar-wide report",
        author=cast.owner,
        period_start=FIRST,
        period_end=LAST,
    )
    frozen.missions.set(Mission.objects.filter(slug="open-mission"))
    report_publish(frozen, cast.owner)
    shared = ShareLink.objects.create(organisation=cast.org, target="report", report=frozen)
    victim.per_pattern |= {
        "share_chart": {"token": shared.token, "chart_key": "chart-1"},
        "reporting:report_chart": {"report_uid": str(frozen.uid), "chart_key": "chart-1"},
    }
    return victim


GETS = [p for p in all_patterns() if not p.key.startswith("admin:") and "/" not in p.key]


def test_every_page_draws_the_first_and_last_days_python_holds(cast, extremes):
    owner, anonymous = Client(), Client()
    owner.force_login(cast.owner)
    drawn, failed = 0, []
    for pattern in GETS:
        values = extremes.values | extremes.per_pattern.get(pattern.key, {})
        path = pattern.path(values)
        for client in (owner, anonymous):
            response = client.get(path)
            drawn += 1
            if server_error(response):
                failed.append(f"{path}: {response.status_code}")
    assert not failed, "\n".join(failed)
    assert drawn >= 120


def test_the_metric_page_shows_both_ends_of_the_calendar(cast, extremes, client):
    metric = Metric.objects.get(name="Bare metric")
    client.force_login(cast.owner)
    page = client.get(f"/o/acme/missions/open-mission/metrics/{metric.uid}/").content.decode()
    assert "1 Jan 1" in page and "31 Dec 9999" in page
    labels = re.findall(r'<text x="[\d.]+" y="[\d.]+">(\d+)</text>', page)
    assert labels and len(labels) <= 3 * 8  # three drawings, at most eight years each


def test_reports_draw_any_dates_as_pdfs(cast, extremes, client):
    client.force_login(cast.owner)
    for report in Report.objects.all():
        response = client.get(f"/o/acme/reports/{report.uid}/report.pdf")
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")


def test_digests_and_reminders_go_out_with_any_dates(cast, extremes):
    # The member's metric, measured from 1 Jan 1 towards 31 Dec 9999, was due yesterday.
    Metric.objects.filter(name=SECRETS["metric"]).update(
        next_due_on=TODAY.date() - datetime.timedelta(days=1)
    )
    sweep_reminders(at=TODAY.isoformat())
    (reminder,) = [m for m in mail.outbox if m.to == [cast.member.email]]
    assert SECRETS["metric"] in reminder.body
    readers = Stakeholder.objects.filter(consent_to_email=True)
    readers.update(digest_frequency="weekly")
    assert readers
    for stakeholder in readers:
        period = stakeholder_digest_period(stakeholder, TODAY)
        assert period is not None
        email = stakeholder_digest_email(stakeholder_digest(stakeholder, period, TODAY))
        assert "Acme Missions" in email.subject and email.alternatives
    member = cast.membership(cast.member)
    digest = member_digest(member, member_digest_period(member, TODAY, upcoming=True), TODAY)
    text = member_digest_email(digest).body
    assert SECRETS["mission"] in text
