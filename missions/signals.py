"""What missions do when something below them changes."""

from typing import Any

from django.dispatch import receiver

from missions.models import Goal, Mission
from orgs.models import Organisation, User
from orgs.signals import member_leaving


@receiver(member_leaving)
def disown_missions_and_goals(
    sender: Any, organisation: Organisation, user: User, removed_by: User, **kwargs: Any
) -> None:
    stamp = Mission.edit_stamp(removed_by)
    Mission.objects.filter(organisation=organisation, owner=user).update(owner=None, **stamp)
    Goal.objects.filter(mission__organisation=organisation, owner=user).update(owner=None, **stamp)
