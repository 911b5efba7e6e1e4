"""What the API sends and takes: typed schemas, from which the OpenAPI document is made.

Numbers a person typed (values, baselines, targets) go out as decimal strings ("12.5"),
exactly as stored; progress and expected progress are 0 to 100 as stored,
and a status is judged on the organisation's today from the stored figures alone
(metrics.rollups.figures_of), as every page does.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from core.csv_safety import plain_number
from metrics.models import CheckIn, Metric
from metrics.rollups import figures_of
from missions.models import Alignment, Goal, Milestone, Mission, Report
from orgs.models import Organisation, Team, User

Status = Literal["on_track", "at_risk", "off_track", "no_data"]
MissionState = Literal["draft", "active", "paused", "achieved", "retired"]

VERSION = "Changes with every saved edit: send it back with a PATCH of this row."


class Person(Schema):
    name: str
    email: str


class Judged(Schema):
    progress: float | None = Field(description="Stored progress, 0 to 100; null without data.")
    expected: float | None = Field(
        description="Where a straight path from start to target says it should be today, 0 to 100."
    )
    status: Status


class OrganisationOut(Schema):
    slug: str
    name: str
    time_zone: str
    role: str = Field(description="The role this token acts with here.")
    scopes: list[str]


class MissionOut(Judged):
    slug: str
    title: str
    purpose: str
    problem: str
    beneficiaries: str
    end_state: str
    state: str = Field(description="draft, active, paused, achieved or retired.")
    visibility: str
    starts_on: date
    ends_on: date | None
    owner: Person | None
    archived_at: datetime | None
    version: int = Field(description=VERSION)
    created_at: datetime
    updated_at: datetime
    url: str


class GoalOut(Judged):
    uid: str
    mission: str = Field(description="The mission's slug.")
    title: str
    description: str
    owner: Person | None
    due_on: date | None
    weight: int
    version: int = Field(description=VERSION)
    updated_at: datetime


class MilestoneOut(Schema):
    uid: str
    mission: str
    title: str
    due_on: date
    done_on: date | None
    version: int = Field(description=VERSION)
    updated_at: datetime


class MetricOut(Judged):
    uid: str
    mission: str
    goal: str | None = Field(description="The goal's uid, if the metric belongs to one.")
    name: str
    kind: str
    unit: str
    format: str
    direction: str
    baseline_value: str | None
    baseline_on: date | None
    target_value: str | None
    target_on: date | None
    cadence: str
    owner: Person | None
    latest_value: str | None
    latest_on: date | None
    latest_confidence: str
    next_due_on: date | None
    updated_at: datetime


class CheckInOut(Schema):
    uid: str
    metric: str = Field(description="The metric's uid.")
    value: str
    for_date: date
    confidence: str
    note: str
    author: Person | None
    is_current: bool = Field(description="False once a later check-in corrected it.")
    corrects: str | None = Field(description="The uid of the check-in this one corrected.")
    created_at: datetime


class CheckInIn(Schema):
    value: Decimal = Field(description="The reading: a number; 1 or 0 for yes/no metrics.")
    for_date: date | None = Field(
        None, description="The day it is for; today in the organisation's time zone if left out."
    )
    confidence: Literal["on_track", "at_risk", "off_track"] = "on_track"
    note: str = Field("", description="A comment, up to 2,000 characters.")


class Patch(Schema):
    """A partial edit: the fields left out keep their stored values. A field the API does
    not edit is refused by name rather than ignored."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(
        description="The `version` of the row as you read it. If someone saved it since, "
        "nothing is saved and the answer is 409 `version_conflict`: read it again."
    )


class MissionPatch(Patch):
    title: str | None = Field(None, description="Unique among the organisation's live missions.")
    purpose: str | None = Field(None)
    problem: str | None = Field(None)
    beneficiaries: str | None = Field(None)
    end_state: str | None = Field(None)
    ends_on: date | None = Field(None, description="After `starts_on`; null for none.")
    state: MissionState | None = Field(None)


class GoalPatch(Patch):
    title: str | None = Field(None)
    description: str | None = Field(None)
    due_on: date | None = Field(None, description="Null for none.")
    weight: int | None = Field(None, description="How much it counts in its mission's progress.")


class MilestonePatch(Patch):
    title: str | None = Field(None)
    due_on: date | None = Field(None)
    done: bool | None = Field(
        None,
        description="True marks it done today (a milestone already done keeps its day); "
        "false marks it not done.",
    )


class ReportOut(Schema):
    uid: str
    title: str
    period_start: date
    period_end: date
    version: int
    published_at: datetime
    missions: list[str] = Field(description="The slugs of the missions it reports on.")
    updated_at: datetime


class ReportDetailOut(ReportOut):
    narrative: str
    snapshot: dict[str, Any] = Field(description="Every figure as it was when published.")


class TeamOut(Schema):
    slug: str
    name: str
    description: str
    lead: Person | None
    members: list[Person]
    updated_at: datetime


class AlignmentOut(Schema):
    uid: str
    mission: str
    team: str = Field(description="The team's slug.")
    role: str
    capacity: int = Field(description="The share of the team's capacity, in per cent.")
    note: str
    updated_at: datetime


class Page(Schema):
    next: str | None = Field(description="The cursor of the next page; null on the last.")


class MissionPage(Page):
    items: list[MissionOut]


class GoalPage(Page):
    items: list[GoalOut]


class MilestonePage(Page):
    items: list[MilestoneOut]


class MetricPage(Page):
    items: list[MetricOut]


class CheckInPage(Page):
    items: list[CheckInOut]


class ReportPage(Page):
    items: list[ReportOut]


class TeamPage(Page):
    items: list[TeamOut]


class AlignmentPage(Page):
    items: list[AlignmentOut]


class ProblemOut(Schema):
    """RFC 9457 problem details, with Waymark's `code`."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, str]] | None = None


# ---- Rows to schemas ---------------------------------------------------------------------


def person(user: User | None) -> Person | None:
    return Person(name=user.display_name, email=user.email) if user is not None else None


def number(value: Decimal | None) -> str | None:
    return plain_number(value) if value is not None else None


def judged(row: Metric | Goal | Mission, today: date) -> dict[str, Any]:
    rollup = figures_of(row, today)
    return {"progress": rollup.progress, "expected": rollup.expected, "status": rollup.status}


def organisation_out(org: Organisation, role: str, scopes: list[str]) -> OrganisationOut:
    return OrganisationOut(
        slug=org.slug, name=org.name, time_zone=org.time_zone, role=role, scopes=scopes
    )


def mission_out(mission: Mission, today: date, site_url: str) -> MissionOut:
    return MissionOut(
        slug=mission.slug,
        title=mission.title,
        purpose=mission.purpose,
        problem=mission.problem,
        beneficiaries=mission.beneficiaries,
        end_state=mission.end_state,
        state=mission.status,
        visibility=mission.visibility,
        starts_on=mission.starts_on,
        ends_on=mission.ends_on,
        owner=person(mission.owner),
        archived_at=mission.archived_at,
        version=mission.version,
        created_at=mission.created_at,
        updated_at=mission.updated_at,
        url=site_url + mission.get_absolute_url(),
        **judged(mission, today),
    )


def goal_out(goal: Goal, today: date) -> GoalOut:
    return GoalOut(
        uid=str(goal.uid),
        mission=goal.mission.slug,
        title=goal.title,
        description=goal.description,
        owner=person(goal.owner),
        due_on=goal.due_on,
        weight=goal.weight,
        version=goal.version,
        updated_at=goal.updated_at,
        **judged(goal, today),
    )


def milestone_out(milestone: Milestone) -> MilestoneOut:
    return MilestoneOut(
        uid=str(milestone.uid),
        mission=milestone.mission.slug,
        title=milestone.title,
        due_on=milestone.due_on,
        done_on=milestone.done_on,
        version=milestone_version(milestone.updated_at),
        updated_at=milestone.updated_at,
    )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def milestone_version(updated_at: datetime) -> int:
    """A milestone's version: the moment it last changed, in microseconds. Milestones are
    not `Versioned` rows (their page saves them whole), but every save moves this."""
    return (updated_at - EPOCH) // MICROSECOND


def milestone_changed_at(version: int) -> datetime | None:
    """The moment a milestone version names; None for a number no moment has."""
    try:
        return EPOCH + version * MICROSECOND
    except OverflowError:
        return None


def metric_out(metric: Metric, today: date) -> MetricOut:
    return MetricOut(
        uid=str(metric.uid),
        mission=metric.mission.slug,
        goal=str(metric.goal.uid) if metric.goal else None,
        name=metric.name,
        kind=metric.kind,
        unit=metric.unit,
        format=metric.format,
        direction=metric.direction,
        baseline_value=number(metric.baseline_value),
        baseline_on=metric.baseline_on,
        target_value=number(metric.target_value),
        target_on=metric.target_on,
        cadence=metric.cadence,
        owner=person(metric.owner),
        latest_value=number(metric.latest_value),
        latest_on=metric.latest_on,
        latest_confidence=metric.latest_confidence,
        next_due_on=metric.next_due_on,
        updated_at=metric.updated_at,
        **judged(metric, today),
    )


def checkin_out(checkin: CheckIn, metric_uid: str, corrects_uid: str | None) -> CheckInOut:
    return CheckInOut(
        uid=str(checkin.uid),
        metric=metric_uid,
        value=plain_number(checkin.value),
        for_date=checkin.for_date,
        confidence=checkin.confidence,
        note=checkin.note,
        author=person(checkin.author),
        is_current=checkin.is_current,
        corrects=corrects_uid,
        created_at=checkin.created_at,
    )


def report_fields(report: Report) -> dict[str, Any]:
    assert report.published_at is not None
    return {
        "uid": str(report.uid),
        "title": report.title,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "version": report.version,
        "published_at": report.published_at,
        "missions": [mission.slug for mission in report.missions.all()],
        "updated_at": report.updated_at,
    }


def team_out(team: Team) -> TeamOut:
    members = [person(user) for user in team.members.all()]
    return TeamOut(
        slug=team.slug,
        name=team.name,
        description=team.description,
        lead=person(team.lead),
        members=[member for member in members if member is not None],
        updated_at=team.updated_at,
    )


def alignment_out(alignment: Alignment) -> AlignmentOut:
    return AlignmentOut(
        uid=str(alignment.uid),
        mission=alignment.mission.slug,
        team=alignment.team.slug,
        role=alignment.role,
        capacity=alignment.capacity,
        note=alignment.note,
        updated_at=alignment.updated_at,
    )
