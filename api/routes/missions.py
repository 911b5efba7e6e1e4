"""Missions, their goals and milestones, and the teams aligned to them: what the token's
owner may see, as the pages show it (Mission.objects.visible_to, mission_for_member)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from api.access import Caller
from api.pagination import Order, page
from api.requests import ListQuery, answer, caller, today_in
from api.schemas import (
    AlignmentPage,
    GoalPage,
    MilestonePage,
    MissionOut,
    MissionPage,
    alignment_out,
    goal_out,
    milestone_out,
    mission_out,
)
from missions.access import mission_for_member
from missions.models import Alignment, Goal, Milestone, Mission, MissionQuerySet

router = Router(tags=["missions"])


class MissionQuery(ListQuery):
    mission: str | None = Field(None, description="Only this mission's (its slug).")


def _visible(you: Caller, org: str) -> MissionQuerySet:
    you.organisation_for(org)
    return Mission.objects.visible_to(you.membership)


def _of_missions(you: Caller, org: str, mission: str | None) -> MissionQuerySet:
    """The missions a list of their parts may draw from: all it may see, or the one named
    (404 if it may not see it, as the pages answer)."""
    missions = _visible(you, org)
    if mission is not None:
        return missions.filter(pk=mission_for_member(you.membership, mission).pk)
    return missions


@router.get("/orgs/{org}/missions", response=MissionPage, url_name="missions")
def missions(request: HttpRequest, org: str, query: Query[ListQuery]) -> HttpResponse:
    """The missions the token's owner may see, archived ones too (see `archived_at`)."""
    you = caller(request)
    rows = _visible(you, org).select_related("owner")
    found, after = page(
        rows,
        Order("updated_at", "slug"),
        cursor=query.cursor,
        limit=query.limit,
        updated_since=query.since(),
    )
    today = today_in(you.organisation)
    items = [mission_out(mission, today, settings.SITE_URL) for mission in found]
    return answer(MissionPage(items=items, next=after))


@router.get("/orgs/{org}/missions/{mission_slug}", response=MissionOut, url_name="mission")
def mission(request: HttpRequest, org: str, mission_slug: str) -> MissionOut:
    you = caller(request)
    you.organisation_for(org)
    found = mission_for_member(you.membership, mission_slug)
    return mission_out(found, today_in(you.organisation), settings.SITE_URL)


@router.get("/orgs/{org}/goals", response=GoalPage, url_name="goals")
def goals(request: HttpRequest, org: str, query: Query[MissionQuery]) -> HttpResponse:
    you = caller(request)
    missions = _of_missions(you, org, query.mission)
    rows = Goal.objects.filter(mission__in=missions).select_related("mission", "owner")
    found, after = page(
        rows,
        Order("updated_at", "uid"),
        cursor=query.cursor,
        limit=query.limit,
        updated_since=query.since(),
    )
    today = today_in(you.organisation)
    return answer(GoalPage(items=[goal_out(goal, today) for goal in found], next=after))


@router.get("/orgs/{org}/milestones", response=MilestonePage, url_name="milestones")
def milestones(request: HttpRequest, org: str, query: Query[MissionQuery]) -> HttpResponse:
    you = caller(request)
    missions = _of_missions(you, org, query.mission)
    rows = Milestone.objects.filter(mission__in=missions).select_related("mission")
    found, after = page(
        rows,
        Order("updated_at", "uid"),
        cursor=query.cursor,
        limit=query.limit,
        updated_since=query.since(),
    )
    return answer(
        MilestonePage(items=[milestone_out(milestone) for milestone in found], next=after)
    )


@router.get("/orgs/{org}/alignments", response=AlignmentPage, url_name="alignments")
def alignments(request: HttpRequest, org: str, query: Query[MissionQuery]) -> HttpResponse:
    """Which teams work on which missions, with the share of their capacity."""
    you = caller(request)
    missions = _of_missions(you, org, query.mission)
    rows = Alignment.objects.filter(mission__in=missions).select_related("mission", "team")
    found, after = page(
        rows,
        Order("updated_at", "uid"),
        cursor=query.cursor,
        limit=query.limit,
        updated_since=query.since(),
    )
    return answer(AlignmentPage(items=[alignment_out(row) for row in found], next=after))
