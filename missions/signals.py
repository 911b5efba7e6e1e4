"""What missions do when something below them changes."""

from typing import Any

from django.dispatch import receiver

from missions.models import Goal, Milestone, Mission
from orgs.models import Invitation, Organisation, User
from orgs.signals import invitation_accepted, member_leaving


@receiver(member_leaving)
def disown_missions_and_goals(
    sender: Any, organisation: Organisation, user: User, removed_by: User, **kwargs: Any
) -> None:
    stamp = Mission.edit_stamp(removed_by)
    Mission.objects.filter(organisation=organisation, owner=user).update(owner=None, **stamp)
    Goal.objects.filter(mission__organisation=organisation, owner=user).update(owner=None, **stamp)
    Milestone.objects.filter(mission__organisation=organisation, owner=user).update(owner=None)


@receiver(invitation_accepted)
def hand_over_goals_and_milestones(
    sender: Any, invitation: Invitation, user: User, **kwargs: Any
) -> None:
    Goal.objects.filter(invitation.promised()).update(
        owner=user, owner_invitation=None, **Goal.edit_stamp(user)
    )
    Milestone.objects.filter(invitation.promised()).update(owner=user, owner_invitation=None)
