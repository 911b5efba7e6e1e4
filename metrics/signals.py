"""What metrics do when something below them changes."""

from typing import Any

from django.dispatch import receiver

from metrics.models import Metric
from orgs.models import Organisation, User
from orgs.signals import member_leaving


@receiver(member_leaving)
def disown_metrics(
    sender: Any, organisation: Organisation, user: User, removed_by: User, **kwargs: Any
) -> None:
    stamp = Metric.edit_stamp(removed_by)
    Metric.objects.filter(mission__organisation=organisation, owner=user).update(
        owner=None, **stamp
    )
