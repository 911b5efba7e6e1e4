"""A mission's Ideas tab: members propose and support ideas; its editors decide on them."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, Exists, OuterRef, QuerySet, Value, When
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from core.requests import HtmxRequest
from missions import ideas
from missions.access import get_mission_for_user
from missions.forms import IdeaAcceptForm, IdeaDeclineForm, IdeaForm
from missions.models import Goal, Idea, IdeaState, IdeaSupport, Mission
from orgs import policy
from orgs.models import Membership, Organisation, User
from orgs.roles import Role
from orgs.services import RuleBroken


def _ideas(mission: Mission, user: Any) -> QuerySet[Idea]:
    """The mission's ideas with what each row shows: open ones first, most supported first."""
    return (
        mission.ideas.select_related("author", "decided_by", "goal", "milestone")
        .annotate(
            support_count=Count("supports"),
            supported_by_me=Exists(IdeaSupport.objects.filter(idea=OuterRef("pk"), user=user)),
            open_first=Case(When(state=IdeaState.OPEN, then=Value(0)), default=Value(1)),
        )
        .order_by("open_first", "-support_count", "-created_at")
    )


def _context(
    org: Organisation, membership: Membership, mission: Mission, **extra: Any
) -> dict[str, Any]:
    return {
        "org": org,
        "membership": membership,
        "mission": mission,
        "tab": "ideas",
        "can_edit": policy.can_edit_mission(membership, mission),
        "form": IdeaForm(),
        # The decline form is written out in the page, one per idea: its limit, once.
        "reason_limit": IdeaDeclineForm.base_fields["reason"],
    } | extra


def _tab_url(org: Organisation, mission: Mission, idea: Idea | None = None) -> str:
    url = reverse("missions:ideas", args=[org.slug, mission.slug])
    return url + (f"#idea-{idea.uid}" if idea else "")


@login_required
@require_http_methods(["GET", "POST"])
def idea_list(request: HttpRequest, org_slug: str, mission_slug: str) -> HttpResponse:
    """Every idea under the mission; members and up propose new ones here."""
    proposing = request.method == "POST"
    org, membership, mission = get_mission_for_user(
        request, org_slug, mission_slug, min_role=Role.MEMBER if proposing else Role.VIEWER
    )
    form = IdeaForm(request.POST or None)
    if proposing and form.is_valid():
        idea = form.save(commit=False)
        idea.mission = mission
        assert isinstance(request.user, User)
        idea.author = request.user
        idea.save()
        messages.success(request, f"“{idea.title}” is proposed. Others can now support it.")
        return redirect(_tab_url(org, mission, idea))
    context = _context(org, membership, mission, form=form, ideas=_ideas(mission, request.user))
    return render(request, "missions/ideas.html", context, status=400 if form.errors else 200)


def _idea(mission: Mission, idea_uid: Any) -> Idea:
    return get_object_or_404(mission.ideas, uid=idea_uid)


@login_required
@require_POST
def idea_support(
    request: HtmxRequest, org_slug: str, mission_slug: str, idea_uid: Any
) -> HttpResponse:
    """Support an open idea, or withdraw support, as the posted `support` says (1 or 0).

    Posting the state wanted, rather than flipping it, makes a double click harmless.
    """
    org, membership, mission = get_mission_for_user(
        request, org_slug, mission_slug, min_role=Role.MEMBER
    )
    idea = _idea(mission, idea_uid)
    assert isinstance(request.user, User)
    error = ""
    if idea.state != IdeaState.OPEN:
        error = "This idea has been decided, so support for it is closed."
    elif request.POST.get("support", "1") == "0":
        IdeaSupport.objects.filter(idea=idea, user=request.user).delete()
    else:
        # The unique constraint holds one support per person; a second one is ignored.
        IdeaSupport.objects.bulk_create(
            [IdeaSupport(idea=idea, user=request.user)], ignore_conflicts=True
        )
    if request.htmx:
        context = _context(
            org, membership, mission, idea=_ideas(mission, request.user).get(pk=idea.pk)
        )
        context["row_error"] = error
        return render(
            request, "missions/ideas.html#idea_row", context, status=422 if error else 200
        )
    if error:
        messages.error(request, error)
    return redirect(_tab_url(org, mission, idea))


def _decision_refused(
    request: HttpRequest,
    org: Organisation,
    membership: Membership,
    mission: Mission,
    idea: Idea,
    decision: str,
    form: Form,
) -> HttpResponse:
    """The Ideas tab again, with the decision form's errors shown on the idea's row."""
    context = _context(
        org,
        membership,
        mission,
        ideas=_ideas(mission, request.user),
        decision_uid=idea.uid,
        decision=decision,
        decision_form=form,
    )
    return render(request, "missions/ideas.html", context, status=400)


@login_required
@require_POST
def idea_accept(
    request: HttpRequest, org_slug: str, mission_slug: str, idea_uid: Any
) -> HttpResponse:
    """Accept an idea as a goal or a milestone (posted as `as`, with `due_on`)."""
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    idea = _idea(mission, idea_uid)
    if idea.state != IdeaState.OPEN:
        messages.error(request, f"“{idea.title}” has already been decided; nothing changed.")
        return redirect(_tab_url(org, mission, idea))
    form = IdeaAcceptForm(request.POST)
    if not form.is_valid():
        return _decision_refused(request, org, membership, mission, idea, "accept", form)
    assert isinstance(request.user, User)
    try:
        made = ideas.idea_accept(
            idea,
            into=form.cleaned_data["as"],
            due_on=form.cleaned_data["due_on"],
            decided_by=request.user,
        )
    except RuleBroken as error:
        messages.error(request, str(error))
        return redirect(_tab_url(org, mission, idea))
    if isinstance(made, Goal):
        outcome = "a goal. Give it an owner and a metric on the Overview."
    else:
        outcome = f"a milestone due {date_format(made.due_on, 'j M Y')}."
    messages.success(request, f"“{idea.title}” is accepted and is now {outcome}")
    return redirect(_tab_url(org, mission, idea))


@login_required
@require_POST
def idea_decline(
    request: HttpRequest, org_slug: str, mission_slug: str, idea_uid: Any
) -> HttpResponse:
    """Decline an idea with the posted `reason`, which the proposer will read."""
    org, membership, mission = get_mission_for_user(request, org_slug, mission_slug, edit=True)
    idea = _idea(mission, idea_uid)
    if idea.state != IdeaState.OPEN:
        messages.error(request, f"“{idea.title}” has already been decided; nothing changed.")
        return redirect(_tab_url(org, mission, idea))
    form = IdeaDeclineForm(request.POST)
    if not form.is_valid():
        return _decision_refused(request, org, membership, mission, idea, "decline", form)
    assert isinstance(request.user, User)
    try:
        ideas.idea_decline(idea, reason=form.cleaned_data["reason"], decided_by=request.user)
    except RuleBroken as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{idea.title}” is declined. The reason is shown with it.")
    return redirect(_tab_url(org, mission, idea))
