"""Share pages, the dashboard and the mission page are cached; these receivers invalidate
an organisation's pages when anything they show changes.

Signals rather than calls in each service: a check-in, a correction, a mission edit, a
publication and a revocation are written from many places, and a cache that one of
them forgot would show stale progress to stakeholders. Check-ins are never deleted on
their own (only with their metric, whose own signal covers it), so only their saves are
watched; that also keeps Django's fast cascade delete of check-ins.
"""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.pagecache import pages_changed
from metrics.models import CheckIn, Metric
from missions.models import (
    Alignment,
    Goal,
    Idea,
    Milestone,
    Mission,
    Report,
    Resource,
    ShareLink,
    StakeholderLink,
)
from orgs.models import Invitation, Membership, Organisation, Team, User
from orgs.signals import invitation_accepted


def _changed_after_commit(
    organisation_id: int | None, mission_id: int | None = None, *, wide: bool = False
) -> None:
    # After the commit: a page rendered between the bump and the commit would read the
    # old rows and be cached under the new version.
    if organisation_id is not None:
        transaction.on_commit(lambda: pages_changed(organisation_id, mission_id, wide=wide))


MissionPart = Goal | Milestone | Metric | Alignment | Resource | StakeholderLink | Idea


def _organisation_of(part: MissionPart) -> int | None:
    """The organisation of a mission's goal, milestone or metric, without a query when
    the view that saved it had its mission loaded."""
    if type(part).mission.is_cached(part):
        return part.mission.organisation_id
    return (
        Mission.objects.filter(pk=part.mission_id).values_list("organisation_id", flat=True).first()
    )


@receiver(post_save, sender=Organisation)
@receiver(post_delete, sender=Organisation)
def organisation_changed(sender: Any, instance: Organisation, **kwargs: Any) -> None:
    _changed_after_commit(instance.pk, wide=True)


@receiver(post_save, sender=Mission)
@receiver(post_delete, sender=Mission)
def mission_changed(sender: Any, instance: Mission, **kwargs: Any) -> None:
    _changed_after_commit(instance.organisation_id, instance.pk)


@receiver(post_save, sender=Report)
@receiver(post_delete, sender=Report)
@receiver(post_save, sender=ShareLink)
@receiver(post_delete, sender=ShareLink)
def organisation_row_changed(sender: Any, instance: Report | ShareLink, **kwargs: Any) -> None:
    _changed_after_commit(instance.organisation_id)


@receiver(post_save, sender=Goal)
@receiver(post_delete, sender=Goal)
@receiver(post_save, sender=Milestone)
@receiver(post_delete, sender=Milestone)
@receiver(post_save, sender=Metric)
@receiver(post_delete, sender=Metric)
# The mission page also shows its teams, resources, stakeholder count and ideas.
@receiver(post_save, sender=Alignment)
@receiver(post_delete, sender=Alignment)
@receiver(post_save, sender=Resource)
@receiver(post_delete, sender=Resource)
@receiver(post_save, sender=StakeholderLink)
@receiver(post_delete, sender=StakeholderLink)
@receiver(post_save, sender=Idea)
@receiver(post_delete, sender=Idea)
def mission_part_changed(sender: Any, instance: MissionPart, **kwargs: Any) -> None:
    _changed_after_commit(_organisation_of(instance), instance.mission_id)


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
@receiver(post_save, sender=Invitation)
@receiver(post_delete, sender=Invitation)
def people_changed(sender: Any, instance: Membership | Invitation, **kwargs: Any) -> None:
    # The dashboard asks admins to bring their colleagues in until someone else has joined
    # or been invited. (An invitation that lapses unsaved shows there once the cached page
    # expires, within settings.PAGE_CACHE_SECONDS.)
    _changed_after_commit(instance.organisation_id)


@receiver(post_save, sender=Team)
@receiver(post_delete, sender=Team)
def team_changed(sender: Any, instance: Team, **kwargs: Any) -> None:
    _changed_after_commit(instance.organisation_id, wide=True)


@receiver(post_save, sender=User)
def person_changed(
    sender: Any, instance: User, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    # Pages name goal owners and check-in authors. A login, a new password or an
    # email preference names nobody differently.
    if update_fields is not None and not {"name", "email"} & update_fields:
        return
    for organisation_id in Membership.objects.filter(user=instance).values_list(
        "organisation_id", flat=True
    ):
        _changed_after_commit(organisation_id, wide=True)


@receiver(invitation_accepted)
def owners_handed_over(sender: Any, invitation: Invitation, **kwargs: Any) -> None:
    # Pages name the owners of what was given to the invited address; their receivers
    # move it with update(), which sends no save signals.
    _changed_after_commit(invitation.organisation_id, wide=True)


@receiver(post_save, sender=CheckIn)
def checkin_saved(sender: Any, instance: CheckIn, **kwargs: Any) -> None:
    mission = (
        Metric.objects.filter(pk=instance.metric_id)
        .values_list("mission__organisation_id", "mission_id")
        .first()
    )
    if mission is not None:
        _changed_after_commit(*mission)
