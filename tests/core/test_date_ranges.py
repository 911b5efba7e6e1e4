"""Every date a person gives has a range that fits what it means (core.dates), and a day
outside it is refused with a message naming the range.

Issue 15: a metric's baseline on 0001-01-01 and target on 9999-12-31, a check-in for
0001-01-01, missions and report periods from 1 Jan to 31 Dec 9999, were all accepted.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from core import dates
from metrics.forms import CheckInForm, MetricForm
from missions.forms import (
    GoalForm,
    IdeaAcceptForm,
    MilestoneForm,
    MissionForm,
    StakeholderLinkEditForm,
    StakeholderLinkForm,
)
from missions.models import Mission, Report
from reporting.forms import ReportForm, ShareLinkForm
from tests.factories import (
    GoalFactory,
    MetricFactory,
    MissionFactory,
    StakeholderFactory,
    StakeholderLinkFactory,
)

NOW = "2026-06-15 12:00Z"
PLAN = "Choose a date between 1 Jan 2000 and 31 Dec 2100."
PAST = "Choose a date between 1 Jan 2000 and today."
AHEAD = "Choose a date between today and 31 Dec 2100."


@pytest.fixture(autouse=True)
def june():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_range_says_its_ends_in_words():
    today = datetime.date(2026, 6, 15)
    assert dates.PLAN.refusal == PLAN
    assert dates.past(today).refusal == PAST
    assert dates.ahead(today).refusal == AHEAD
    assert dates.past(today, since=datetime.date(2026, 1, 1)).refusal == (
        "Choose a date between 1 Jan 2026 and today."
    )
    assert datetime.date(2000, 1, 1) in dates.PLAN and datetime.date(2101, 1, 1) not in dates.PLAN


@pytest.fixture
def mission(cast):
    return MissionFactory(organisation=cast.org, slug="net-zero", owner=cast.owner)


def mission_form(cast, mission, **dated):
    data = {
        "title": "Net zero",
        "purpose": "Less carbon.",
        "status": "active",
        "visibility": "organisation",
        "starts_on": "2026-01-01",
        "version": mission.version,
    }
    return MissionForm(data | dated, instance=mission, organisation=cast.org)


def metric_form(cast, **dated):
    data = {
        "name": "Tonnes",
        "kind": "outcome",
        "format": "number",
        "direction": "decrease",
        "baseline_value": "100",
        "baseline_on": "2026-01-01",
        "target_value": "10",
        "target_on": "2030-01-01",
        "cadence": "monthly",
        "weight": "1",
    }
    return MetricForm(data | dated, organisation=cast.org)


def report_form(mission, **dated):
    data = {"period": "custom", "missions": [mission.slug]}
    return ReportForm(
        data | dated, missions=Mission.objects.all(), today=datetime.date(2026, 6, 15)
    )


CASES = {
    # what, the form with one date out of range, the field, the message
    "a mission's start": (
        lambda c, m: mission_form(c, m, starts_on="0001-01-01"),
        "starts_on",
        PLAN,
    ),
    "a mission's end": (lambda c, m: mission_form(c, m, ends_on="9999-12-31"), "ends_on", PLAN),
    "a goal's due date": (
        lambda c, m: GoalForm(
            {"title": "G", "weight": 1, "due_on": "2101-01-01"}, organisation=c.org
        ),
        "due_on",
        PLAN,
    ),
    "a milestone's due date": (
        lambda c, m: MilestoneForm({"title": "M", "due_on": "1999-12-31"}, organisation=c.org),
        "due_on",
        PLAN,
    ),
    "an idea turned into a milestone": (
        lambda c, m: IdeaAcceptForm({"as": "milestone", "due_on": "0001-01-01"}),
        "due_on",
        PLAN,
    ),
    "a baseline measured in the future": (
        lambda c, m: metric_form(c, baseline_on="2026-06-16", target_on="2030-01-01"),
        "baseline_on",
        PAST,
    ),
    "a baseline in year 1": (
        lambda c, m: metric_form(c, baseline_on="0001-01-01"),
        "baseline_on",
        PAST,
    ),
    "a target in year 9999": (
        lambda c, m: metric_form(c, target_on="9999-12-31"),
        "target_on",
        PLAN,
    ),
    "a first check-in due in the past": (
        lambda c, m: metric_form(c, first_due_on="2026-06-14"),
        "first_due_on",
        AHEAD,
    ),
    "a report period's start": (
        lambda c, m: report_form(m, period_start="0001-01-01", period_end="2026-01-31"),
        "period_start",
        PLAN,
    ),
    "a report period's end": (
        lambda c, m: report_form(m, period_start="2026-01-01", period_end="9999-12-31"),
        "period_end",
        PLAN,
    ),
    "a share link's last day, past": (
        lambda c, m: ShareLinkForm({"expires_on": "2026-06-14"}, organisation=c.org),
        "expires_on",
        AHEAD,
    ),
    "a share link's last day, in year 9999": (
        lambda c, m: ShareLinkForm({"expires_on": "9999-12-31"}, organisation=c.org),
        "expires_on",
        AHEAD,
    ),
    "a commitment due": (
        lambda c, m: StakeholderLinkForm(
            {
                "stakeholder": StakeholderFactory(organisation=c.org, kind="supplier").uid,
                "commitment": "Crates",
                "commitment_due_on": "1900-01-01",
            },
            mission=m,
        ),
        "commitment_due_on",
        PLAN,
    ),
    "a commitment met in the future": (
        lambda c, m: StakeholderLinkEditForm(
            {"commitment": "Crates", "commitment_met_on": "2026-06-16"},
            instance=StakeholderLinkFactory(mission=m, stakeholder__kind="supplier"),
            mission=m,
        ),
        "commitment_met_on",
        PAST,
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_date_out_of_its_range_is_refused_with_the_range(cast, mission, case):
    make, field, message = CASES[case]
    form = make(cast, mission)
    assert not form.is_valid()
    assert form.errors[field] == [message]


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_date_picker_offers_only_the_range(cast, mission, case):
    make, field, message = CASES[case]
    attrs = make(cast, mission).fields[field].widget.attrs
    assert (
        message
        == dates.DateRange(
            datetime.date.fromisoformat(attrs["min"]),
            datetime.date.fromisoformat(attrs["max"]),
            datetime.date(2026, 6, 15),
        ).refusal
    )


def test_a_check_in_for_year_one_is_refused_and_its_picker_starts_at_the_baseline(cast, mission):
    bare = MetricFactory(goal=GoalFactory(mission=mission), baseline_value=None, baseline_on=None)
    today = datetime.date(2026, 6, 15)
    form = CheckInForm(
        {"value": "3", "confidence": "on_track", "for_date": "0001-01-01"}, metric=bare, today=today
    )
    assert form.errors["for_date"] == [PAST]
    measured = MetricFactory(goal=GoalFactory(mission=mission))  # baseline 1 Jan 2026
    attrs = CheckInForm(metric=measured, today=today).fields["for_date"].widget.attrs
    assert (attrs["min"], attrs["max"]) == ("2026-01-01", "2026-06-15")


def test_a_date_stored_before_the_range_is_kept_when_something_else_is_edited(cast, mission):
    Mission.objects.filter(pk=mission.pk).update(starts_on=datetime.date(1990, 5, 1))
    mission.refresh_from_db()
    form = mission_form(cast, mission, starts_on="1990-05-01", title="Net zero by 2040")
    assert form.fields["starts_on"].widget.attrs["min"] == "1990-05-01"
    assert form.save_edit(by=cast.owner), form.errors
    mission.refresh_from_db()
    assert (mission.title, mission.starts_on) == ("Net zero by 2040", datetime.date(1990, 5, 1))
    # Moved, it must come inside the range.
    assert mission_form(cast, mission, starts_on="1990-05-02").errors["starts_on"] == [PLAN]


def test_a_report_draft_needs_a_mission(cast, login, mission):
    response = login(cast.admin).post(
        reverse("reporting:report_create", args=["acme"]),
        {"period": "month", "month": "2026-05", "title": "May"},
    )
    assert response.status_code == 400
    assert "Choose at least one mission for the report to cover." in response.text
    assert not Report.objects.exists()


def test_a_metric_refuses_a_reading_before_2000_wherever_it_comes_from(cast, mission):
    bare = MetricFactory(goal=GoalFactory(mission=mission), baseline_value=None, baseline_on=None)
    with pytest.raises(ValidationError, match=PAST):
        bare.check_reading_date(datetime.date(1999, 12, 31), datetime.date(2026, 6, 15))
    bare.check_reading_date(datetime.date(2000, 1, 1), datetime.date(2026, 6, 15))  # no error
