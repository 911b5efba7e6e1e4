"""Deciding on ideas: accepting one makes a goal or a milestone, declining one records why."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.pagecache import pages_changed
from missions.models import Goal, Idea, IdeaState, Milestone
from orgs.models import User
from orgs.services import RuleBroken

ALREADY_DECIDED = "This idea has already been decided, so nothing was changed."


def idea_accept(
    idea: Idea, *, into: str, decided_by: User, due_on: date | None = None
) -> Goal | Milestone:
    """Turn an open idea into a goal or a milestone at the end of the mission's list.

    Raises RuleBroken, changing nothing, when the idea is no longer open.
    """
    if into not in {"goal", "milestone"}:
        raise ValueError(f"An idea becomes a goal or a milestone, not {into!r}.")
    if into == "milestone" and due_on is None:
        raise ValueError("A milestone needs a due date.")
    with transaction.atomic():
        _claim(idea, IdeaState.ACCEPTED, decided_by)
        made: Goal | Milestone
        if into == "goal":
            made = idea.goal = Goal.objects.create(
                mission_id=idea.mission_id,
                title=idea.title,
                description=idea.description,
                due_on=due_on,
                position=Goal.objects.filter(mission_id=idea.mission_id).next_position(),
            )
        else:
            assert due_on is not None
            made = idea.milestone = Milestone.objects.create(
                mission_id=idea.mission_id,
                title=idea.title,
                due_on=due_on,
                position=Milestone.objects.filter(mission_id=idea.mission_id).next_position(),
            )
        idea.save(update_fields=["goal", "milestone"])
    return made


def idea_decline(idea: Idea, *, reason: str, decided_by: User) -> None:
    """Decline an open idea, saying why; RuleBroken, changing nothing, when it is not open."""
    reason = reason.strip()
    if not reason:
        raise ValueError("Declining an idea needs a reason.")
    with transaction.atomic():
        _claim(idea, IdeaState.DECLINED, decided_by, note=reason)


def _claim(idea: Idea, state: IdeaState, decided_by: User, note: str = "") -> None:
    # A conditional UPDATE rather than read-then-save: when two people decide at once,
    # the second one's UPDATE waits for the first, then finds the idea no longer open.
    decided_at = timezone.now()
    claimed = Idea.objects.filter(pk=idea.pk, state=IdeaState.OPEN).update(
        state=state, decided_by=decided_by, decided_at=decided_at, decision_note=note
    )
    if not claimed:
        raise RuleBroken(ALREADY_DECIDED)
    # An UPDATE sends no signal: the mission page's count of open ideas must still move.
    organisation_id, mission_id = idea.mission.organisation_id, idea.mission_id
    transaction.on_commit(lambda: pages_changed(organisation_id, mission_id))
    idea.state = state
    idea.decided_by = decided_by
    idea.decided_at = decided_at
    idea.decision_note = note
