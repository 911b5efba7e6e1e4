"""Which numbers in a change are ids of other rows, and of which model, for whoever moves
an organisation's rows to new ids (the export and import in orgs.portability).

A change names its row, mission and metric by plain id, and keeps the tracked fields'
values as they were, foreign keys as ids, so that it outlives what it names. Derived
from the tracking config and the models, so a newly tracked foreign key is covered.
"""

from functools import cache
from typing import Any

from django.apps import apps
from django.db import models

from audit.models import Subject
from audit.tracking import TRACKING, tracked_fields
from orgs.portability import Number, SoftReferences

# Change fields that name a row of one subject whatever the change's own subject.
REFERS_TO = {"mission_ref": Subject.MISSION, "metric_ref": Subject.METRIC}
# The change's own row: a row of the model its `subject` names.
OWN_ROW = "object_id"
# Tracked fields as they were before and after the change, by name.
VALUES = ("before", "after")


@cache
def subject_models() -> dict[str, type[models.Model]]:
    return {tracking.subject: apps.get_model(label) for label, tracking in TRACKING.items()}


@cache
def foreign_keys(subject: str) -> dict[str, type[models.Model]]:
    """The subject's tracked fields that hold another row's id, and that row's model."""
    found = {}
    for field in tracked_fields(subject_models()[subject]):
        if field.is_relation and isinstance(field.related_model, type):
            found[field.name] = field.related_model
    return found


def change_renumbered(fields: dict[str, Any], number: Number) -> dict[str, Any]:
    subject = fields.get("subject")
    if subject not in subject_models():
        raise ValueError(f"subject {subject!r} is not one of {sorted(subject_models())}.")
    renumbered = dict(fields)
    names = {OWN_ROW: subject} | REFERS_TO
    for name, names_subject in names.items():
        if fields.get(name) is not None:
            renumbered[name] = number(subject_models()[names_subject], fields[name])
    relations = foreign_keys(subject)
    for side in VALUES:
        values = fields.get(side)
        if not isinstance(values, dict):
            continue
        # A field no longer tracked, or no longer a foreign key, is left as it was.
        renumbered[side] = {
            name: number(relations[name], value)
            if name in relations and value is not None
            else value
            for name, value in values.items()
        }
    return renumbered


def change_references() -> SoftReferences:
    targets = {*subject_models().values()}
    for subject in subject_models():
        targets |= set(foreign_keys(subject).values())
    return SoftReferences(targets=frozenset(targets), renumber=change_renumbered)
