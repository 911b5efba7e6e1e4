"""Writes that span several mission models."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from missions.catalogue import MissionTemplate
from missions.models import Goal, Milestone, Mission, MissionStatus
from orgs.models import Organisation, User
from orgs.slugs import unique_slug

# Words the mission URLs use themselves (/missions/new/, /missions/templates/).
RESERVED_SLUGS = {"new", "templates"}


def unique_mission_slug(organisation: Organisation, title: str) -> str:
    taken = Mission.objects.filter(organisation=organisation)
    return unique_slug(taken, title, fallback="mission", max_length=70, reserved=RESERVED_SLUGS)


@transaction.atomic
def mission_create_from_template(
    organisation: Organisation,
    template: MissionTemplate,
    owner: User,
    title: str = "",
    starts_on: date | None = None,
) -> Mission:
    """A draft mission with the template's goals, metrics and milestones, owned by `owner`."""
    from metrics.figures import figures_refresh
    from metrics.models import Metric

    today = starts_on or timezone.localdate()
    title = title or template.title
    mission = Mission.objects.create(
        organisation=organisation,
        title=title,
        slug=unique_mission_slug(organisation, title),
        purpose=template.purpose,
        problem=template.problem,
        beneficiaries=template.beneficiaries,
        end_state=template.end_state,
        starts_on=today,
        ends_on=template.ends_on(today),
        owner=owner,
        status=MissionStatus.DRAFT,
        template_key=template.key,
    )
    for position, suggestion in enumerate(template.goals):
        goal = Goal.objects.create(
            mission=mission,
            title=suggestion.title,
            weight=suggestion.weight,
            owner=owner,
            due_on=mission.ends_on,
            position=position,
        )
        Metric.objects.bulk_create(
            Metric(
                mission=mission,
                goal=goal,
                name=metric.name,
                kind=metric.kind,
                unit=metric.unit,
                format=metric.format,
                direction=metric.direction,
                # The template's baseline is an example; the health check asks for the real one.
                target_value=metric.target,
                target_on=mission.ends_on if metric.target is not None else None,
                cadence=metric.cadence,
                owner=owner,
                position=n,
            )
            for n, metric in enumerate(suggestion.metrics)
        )
    Milestone.objects.bulk_create(
        Milestone(
            mission=mission,
            title=milestone.title,
            due_on=milestone.due_on(today),
            position=position,
        )
        for position, milestone in enumerate(template.milestones)
    )
    # The metrics came in bulk, without the save signals that keep the figures.
    figures_refresh([mission.pk])
    return mission
