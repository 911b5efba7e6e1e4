"""Missions, their goals and milestones, and the teams aligned to them: what the token's
owner may see, as the pages show it (Mission.objects.visible_to, mission_for_member)."""

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router

from api.access import Caller, uid_or_404
from api.edits import as_token, form_data, refused, save_versioned, stale
from api.models import Scope
from api.pagination import Order
from api.requests import ListQuery, answer, caller, today_in
from api.schemas import (
    AlignmentPage,
    GoalOut,
    GoalPage,
    GoalPatch,
    MilestoneOut,
    MilestonePage,
    MilestonePatch,
    MissionOut,
    MissionPage,
    MissionPatch,
    ProblemOut,
    alignment_out,
    goal_out,
    milestone_changed_at,
    milestone_out,
    milestone_version,
    mission_out,
)
from missions.access import mission_for_member
from missions.forms import GoalForm, MilestoneForm, MissionForm
from missions.models import Alignment, Goal, Milestone, Mission, MissionQuerySet

router = Router(tags=["missions"])

# What a PATCH may answer besides the edited row.
PATCHED = {403: ProblemOut, 404: ProblemOut, 409: ProblemOut, 422: ProblemOut}


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
    found, after = query.page(rows, Order("updated_at", "slug"))
    today = today_in(you.organisation)
    items = [mission_out(mission, today, settings.SITE_URL) for mission in found]
    return answer(MissionPage(items=items, next=after))


@router.get("/orgs/{org}/missions/{mission_slug}", response=MissionOut, url_name="mission")
def mission(request: HttpRequest, org: str, mission_slug: str) -> MissionOut:
    you = caller(request)
    you.organisation_for(org)
    found = mission_for_member(you.membership, mission_slug)
    return mission_out(found, today_in(you.organisation), settings.SITE_URL)


@router.patch(
    "/orgs/{org}/missions/{mission_slug}",
    response={200: MissionOut, **PATCHED},
    url_name="mission",
)
def mission_patch(
    request: HttpRequest, org: str, mission_slug: str, payload: MissionPatch
) -> MissionOut:
    """Change a mission as its edit page does, for admins and its owner: the fields sent
    change, the rest stay. A change of `state` is announced (`mission.status_changed`)."""
    you = _writer(request, org)
    found = mission_for_member(you.membership, mission_slug, edit=True)
    sent = payload.model_dump(exclude_unset=True, exclude={"version"})
    if "state" in sent:
        sent["status"] = sent.pop("state")
    form = MissionForm(instance=found, organisation=you.organisation)
    data = form_data(form, sent) | {"version": str(payload.version)}
    form = MissionForm(data, instance=found, organisation=you.organisation)
    save_versioned(you, form, payload.version, {name: name for name in form.fields} | STATE)
    found.refresh_from_db()
    return mission_out(found, today_in(you.organisation), settings.SITE_URL)


# The mission's `status` is its `state` in the API, as in MissionOut.
STATE = {"status": "state"}


def _writer(request: HttpRequest, org: str) -> Caller:
    """The caller of a PATCH: its token needs the `write` scope, for its own organisation."""
    you = caller(request)
    you.require(Scope.WRITE)
    you.organisation_for(org)
    return you


def _mission_of(you: Caller, part: type[Goal] | type[Milestone], uid: str, edit: bool) -> Mission:
    """The mission a goal or milestone belongs to, found as the pages find it (404 if its
    mission is hidden from the caller, 403 if `edit` and they may not change it)."""
    slug = (
        part.objects.filter(uid=uid_or_404(uid), mission__organisation=you.organisation)
        .values_list("mission__slug", flat=True)
        .first()
    )
    if slug is None:
        raise Http404
    return mission_for_member(you.membership, slug, edit=edit)


def _goal(you: Caller, goal_uid: str, *, edit: bool = False) -> Goal:
    mission = _mission_of(you, Goal, goal_uid, edit)
    goal = mission.goals.select_related("owner", "owner_invitation").get(uid=goal_uid)
    goal.mission = mission
    return goal


def _milestone(you: Caller, milestone_uid: str, *, edit: bool = False) -> Milestone:
    mission = _mission_of(you, Milestone, milestone_uid, edit)
    milestone = mission.milestones.select_related("owner", "owner_invitation").get(
        uid=milestone_uid
    )
    milestone.mission = mission
    return milestone


@router.get("/orgs/{org}/goals/{goal_uid}", response=GoalOut, url_name="goal")
def goal(request: HttpRequest, org: str, goal_uid: str) -> GoalOut:
    you = caller(request)
    you.organisation_for(org)
    return goal_out(_goal(you, goal_uid), today_in(you.organisation))


@router.patch(
    "/orgs/{org}/goals/{goal_uid}",
    response={200: GoalOut, **PATCHED},
    url_name="goal",
)
def goal_patch(request: HttpRequest, org: str, goal_uid: str, payload: GoalPatch) -> GoalOut:
    """Change a goal as the mission page's goal form does, for whoever may edit its
    mission: the fields sent change, the rest stay."""
    you = _writer(request, org)
    found = _goal(you, goal_uid, edit=True)
    sent = payload.model_dump(exclude_unset=True, exclude={"version"})
    form = GoalForm(instance=found, organisation=you.organisation)
    data = form_data(form, sent) | {"version": str(payload.version)}
    form = GoalForm(data, instance=found, organisation=you.organisation)
    save_versioned(you, form, payload.version, {name: name for name in form.fields})
    found.refresh_from_db()
    return goal_out(found, today_in(you.organisation))


@router.get("/orgs/{org}/milestones/{milestone_uid}", response=MilestoneOut, url_name="milestone")
def milestone(request: HttpRequest, org: str, milestone_uid: str) -> MilestoneOut:
    you = caller(request)
    you.organisation_for(org)
    return milestone_out(_milestone(you, milestone_uid))


@router.patch(
    "/orgs/{org}/milestones/{milestone_uid}",
    response={200: MilestoneOut, **PATCHED},
    url_name="milestone",
)
def milestone_patch(
    request: HttpRequest, org: str, milestone_uid: str, payload: MilestonePatch
) -> MilestoneOut:
    """Change a milestone as the mission page's milestone form and its done box do, for
    whoever may edit its mission: the fields sent change, the rest stay."""
    you = _writer(request, org)
    found = _milestone(you, milestone_uid, edit=True)
    sent = payload.model_dump(exclude_unset=True, exclude={"version", "done"})
    form = MilestoneForm(instance=found, organisation=you.organisation)
    form = MilestoneForm(form_data(form, sent), instance=found, organisation=you.organisation)
    if not form.is_valid():
        if milestone_version(found.updated_at) != payload.version:
            raise stale("Someone changed this milestone", payload.version, _now(found))
        raise refused(form, {name: name for name in form.fields})
    if payload.done is not None:
        done = payload.done
        found.done_on = (found.done_on or today_in(you.organisation)) if done else None
    _save_milestone(you, form, payload.version)
    found.refresh_from_db()
    return milestone_out(found)


def _now(milestone: Milestone) -> int:
    stored = Milestone.objects.filter(pk=milestone.pk).values_list("updated_at", flat=True)
    return milestone_version(stored.get())


def _save_milestone(you: Caller, form: MilestoneForm, version: int) -> None:
    """Save the milestone if it is still at `version`: one conditional UPDATE claims it
    (as core.versioned does for versioned rows), then the form's fields are saved under
    that row lock, in the same transaction."""
    milestone = form.instance
    read_at = milestone_changed_at(version)
    with transaction.atomic():
        claimed = read_at is not None and Milestone.objects.filter(
            pk=milestone.pk, updated_at=read_at
        ).update(updated_at=timezone.now())
        if not claimed:
            raise stale("Someone changed this milestone", version, _now(milestone))
        with as_token(you):
            form.save(commit=False)
            milestone.save(
                update_fields=[
                    "title",
                    "due_on",
                    "owner",
                    "owner_invitation",
                    "done_on",
                    "updated_at",
                ]
            )


@router.get("/orgs/{org}/goals", response=GoalPage, url_name="goals")
def goals(request: HttpRequest, org: str, query: Query[MissionQuery]) -> HttpResponse:
    you = caller(request)
    missions = _of_missions(you, org, query.mission)
    rows = Goal.objects.filter(mission__in=missions).select_related("mission", "owner")
    found, after = query.page(rows, Order("updated_at", "uid"))
    today = today_in(you.organisation)
    return answer(GoalPage(items=[goal_out(goal, today) for goal in found], next=after))


@router.get("/orgs/{org}/milestones", response=MilestonePage, url_name="milestones")
def milestones(request: HttpRequest, org: str, query: Query[MissionQuery]) -> HttpResponse:
    you = caller(request)
    missions = _of_missions(you, org, query.mission)
    rows = Milestone.objects.filter(mission__in=missions).select_related("mission")
    found, after = query.page(rows, Order("updated_at", "uid"))
    return answer(
        MilestonePage(items=[milestone_out(milestone) for milestone in found], next=after)
    )


@router.get("/orgs/{org}/alignments", response=AlignmentPage, url_name="alignments")
def alignments(request: HttpRequest, org: str, query: Query[MissionQuery]) -> HttpResponse:
    """Which teams work on which missions, with the share of their capacity."""
    you = caller(request)
    missions = _of_missions(you, org, query.mission)
    rows = Alignment.objects.filter(mission__in=missions).select_related("mission", "team")
    found, after = query.page(rows, Order("updated_at", "uid"))
    return answer(AlignmentPage(items=[alignment_out(row) for row in found], next=after))
