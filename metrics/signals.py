"""Keep the figures stored on missions, goals and metrics current: a save or a delete of
any row they are computed from refreshes its mission's, in the same transaction.

Signals rather than calls in each view and service, for the reason reporting.signals
gives for the page cache, and so that missions need not know about metrics: its views
save goals, alignments and stakeholder links, and these receivers hear of it. Writes
that send no signals (bulk_create, QuerySet.update) refresh the figures themselves, or
send `organisation_imported`.
"""

from typing import Any

from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from metrics.figures import Refreshed, figures_recompute, figures_refresh
from metrics.models import Metric
from missions.models import Alignment, Goal, Mission, StakeholderLink
from orgs.models import Invitation, Organisation, User
from orgs.portability import organisation_imported
from orgs.signals import invitation_accepted, member_leaving

# The fields each row's part in the figures comes from: a save of none of them (an owner,
# a name, when the next check-in is due) moves nothing.
INPUTS: dict[type[Model], frozenset[str]] = {
    Metric: frozenset(
        {"mission", "goal", "kind", "weight", "direction", "baseline_value", "baseline_on"}
        | {"target_value", "target_on", "latest_value", "latest_confidence"}
        | {"first_value", "first_on"}
    ),
    Goal: frozenset({"mission", "weight"}),
    Alignment: frozenset({"mission", "role"}),
    StakeholderLink: frozenset({"mission"}),
}

Part = Metric | Goal | Alignment | StakeholderLink


@receiver(post_save, sender=Metric)
@receiver(post_save, sender=Goal)
@receiver(post_save, sender=Alignment)
@receiver(post_save, sender=StakeholderLink)
def part_saved(
    sender: type[Model],
    instance: Part,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    # Raw: an import, which recomputes once it has every row (organisation_imported).
    if raw:
        return
    if update_fields is not None:
        named = {name.removesuffix("_id") for name in update_fields}
        if not named & INPUTS[sender]:
            return
    _apply(instance, _refresh(instance))


@receiver(post_delete, sender=Metric)
@receiver(post_delete, sender=Goal)
@receiver(post_delete, sender=Alignment)
@receiver(post_delete, sender=StakeholderLink)
def part_deleted(sender: type[Model], instance: Part, origin: Any = None, **kwargs: Any) -> None:
    deleting = origin.model if isinstance(origin, QuerySet) else type(origin)
    # A deleted mission or organisation takes its parts along: nothing is left to refresh.
    # A deleted goal takes its metrics: its own receiver refreshes, once they are gone.
    if deleting in (Mission, Organisation) or (sender is Metric and deleting is Goal):
        return
    _apply(instance, _refresh(instance))


def _refresh(part: Part) -> Refreshed:
    goals = []
    if isinstance(part, Goal):
        goals = [part.pk]
    elif isinstance(part, Metric) and part.goal_id is not None:
        goals = [part.goal_id]
    return figures_refresh([part.mission_id], goal_ids=goals)


def _apply(part: Part, refreshed: Refreshed) -> None:
    """The new figures on the instances in hand too: on the row saved, and on its goal and
    mission if they came with it, so that a view rendering them after the save (the
    mission page's health check after a goal is added) shows them."""
    rows: list[Model | None] = [part]
    for relation in ("goal", "mission"):
        descriptor = getattr(type(part), relation, None)
        if descriptor is not None and descriptor.is_cached(part):
            rows.append(getattr(part, relation))
    for row in rows:
        if row is None:
            continue
        for name, value in refreshed.figures.get((type(row), row.pk), {}).items():
            setattr(row, name, value)


@receiver(organisation_imported)
def organisation_loaded(sender: Any, organisation: Organisation, **kwargs: Any) -> None:
    figures_recompute(organisation=organisation)


@receiver(member_leaving)
def disown_metrics(
    sender: Any, organisation: Organisation, user: User, removed_by: User, **kwargs: Any
) -> None:
    """What a member who leaves owned is left for someone else to take on."""
    stamp = Metric.edit_stamp(removed_by)
    Metric.objects.filter(mission__organisation=organisation, owner=user).update(
        owner=None, **stamp
    )


@receiver(invitation_accepted)
def hand_over_metrics(sender: Any, invitation: Invitation, user: User, **kwargs: Any) -> None:
    """The metrics given to them before they joined are theirs to check in on now."""
    Metric.objects.filter(invitation.promised()).update(
        owner=user, owner_invitation=None, **Metric.edit_stamp(user)
    )
