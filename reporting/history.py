"""Recorded changes as people read them: who did what to which thing, field by field."""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import capfirst

from audit.actors import SYSTEM_LABEL
from audit.models import Action, Change, Subject
from core import numbers
from metrics.models import CheckIn, Metric
from missions.models import Goal, Mission
from orgs.models import Organisation, User

MODELS: dict[str, type[models.Model]] = {
    Subject.MISSION: Mission,
    Subject.GOAL: Goal,
    Subject.METRIC: Metric,
    Subject.CHECKIN: CheckIn,
}

# Shown in the sentence about a change rather than as a line of their own.
IN_THE_SENTENCE = {
    Subject.MISSION: set(),
    Subject.GOAL: {"title"},
    Subject.METRIC: {"name"},
    Subject.CHECKIN: {"value", "for_date", "author", "corrects", "is_current"},
}
# Measured in the metric's own units.
READINGS = {"value", "baseline_value", "target_value"}
# The forms' words where they differ from the models'.
LABELS = {
    "baseline_value": "Baseline",
    "baseline_on": "Baseline date",
    "target_value": "Target",
    "target_on": "Target date",
    "is_current": "Current value",
    "source_note": "Source",
}


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str | None  # None when it was created
    after: str | None  # None when it was deleted


@dataclass(frozen=True)
class Entry:
    change: Change
    actor: str
    summary: str
    fields: list[FieldChange]


class Names:
    """What the ids in a page of changes point at (people, goals, corrected check-ins),
    read in one query per kind, whatever the number of changes."""

    def __init__(self, changes: Sequence[Change], organisation: Organisation) -> None:
        wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        for change in changes:
            model = MODELS[change.subject]
            for name, raw in (change.before | change.after).items():
                field = _field(model, name)
                if field is not None and field.is_relation and raw is not None:
                    assert field.related_model is not None and isinstance(field.related_model, type)
                    wanted[field.related_model].add(raw)
        self.people = (
            {
                user.pk: user.display_name
                for user in User.objects.filter(pk__in=wanted[User]).only("name", "email")
            }
            if wanted[User]
            else {}
        )
        self.goals = (
            dict(
                Goal.objects.filter(
                    pk__in=wanted[Goal], mission__organisation=organisation
                ).values_list("pk", "title")
            )
            if wanted[Goal]
            else {}
        )
        self.readings = (
            dict(
                CheckIn.objects.filter(
                    pk__in=wanted[CheckIn], metric__mission__organisation=organisation
                ).values_list("pk", "value")
            )
            if wanted[CheckIn]
            else {}
        )

    def of(self, model: Any, pk: Any) -> str:
        if model is User:
            return self.people.get(pk, "someone since removed")
        if model is Goal:
            title = self.goals.get(pk)
            return f"“{title}”" if title is not None else "a deleted goal"
        return str(pk)


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed from the model
        return None


def _number(value: Decimal) -> str:
    return numbers.readable(value, places=4)


def show(field: Any, raw: Any, names: Names, metric: Metric | None = None) -> str:
    """A stored value as the pages show it: 1 Feb 2026, Yes, £3,400, “Cut waste”, –."""
    if field is None:
        return "–" if raw in (None, "") else str(raw)
    value = field.to_python(raw)
    if value is None or value == "":
        return "–"
    if field.is_relation:
        return names.of(field.related_model, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "j M Y, H:i")
    if isinstance(value, datetime.date):
        return date_format(value, "j M Y")
    if isinstance(value, Decimal):
        if metric is not None and field.name in READINGS:
            return metric.format_value(value)
        return _number(value)
    if field.name == "position":
        return str(value + 1)  # people count from one
    return str(value)


def _label(field: Any, name: str) -> str:
    return LABELS.get(name) or (capfirst(field.verbose_name) if field is not None else name)


def _fields(change: Change, names: Names, metric: Metric | None) -> list[FieldChange]:
    model = MODELS[change.subject]
    if change.action != Action.UPDATE:
        hidden = IN_THE_SENTENCE[Subject(change.subject)]
    else:
        # "Replaced the value for 1 Feb" says all a flip of is_current would.
        hidden = {"is_current"} if change.subject == Subject.CHECKIN else set()
    lines = []
    for name in dict.fromkeys([*change.before, *change.after]):
        if name in hidden:
            continue
        field = _field(model, name)
        before = show(field, change.before[name], names, metric) if name in change.before else None
        after = show(field, change.after[name], names, metric) if name in change.after else None
        if change.action != Action.UPDATE and (before or after) == "–":
            continue  # a blank field of something created or deleted says nothing
        lines.append(FieldChange(_label(field, name), before, after))
    return lines


def _checkin_date(change: Change) -> str:
    try:
        return date_format(datetime.date.fromisoformat(change.object_label), "j M Y")
    except ValueError:
        return change.object_label


def _summary(change: Change, names: Names, metric: Metric | None) -> str:
    verbs = {Action.CREATE: "added", Action.UPDATE: "changed", Action.DELETE: "deleted"}
    verb = verbs[Action(change.action)]
    if change.subject == Subject.MISSION:
        if change.action == Action.UPDATE and set(change.after) == {"archived_at"}:
            return "archived the mission" if change.after["archived_at"] else "restored the mission"
        return f"{'created' if change.action == Action.CREATE else verb} the mission"
    if change.subject in (Subject.GOAL, Subject.METRIC):
        return f"{verb} the {change.get_subject_display().lower()} “{change.object_label}”"
    # Check-ins: a reading, its correction, or the earlier value it replaced.
    value_field = CheckIn._meta.get_field("value")
    on = _checkin_date(change)
    if change.action == Action.CREATE:
        value = show(value_field, change.after.get("value"), names, metric)
        corrected = change.after.get("corrects")
        if corrected is not None:
            was = names.readings.get(corrected)
            earlier = (
                show(value_field, was, names, metric) if was is not None else "an earlier value"
            )
            return f"corrected the value for {on} from {earlier} to {value}"
        return f"checked in {value} for {on}"
    if change.action == Action.UPDATE and set(change.after) == {"is_current"}:
        if change.after["is_current"]:
            return f"made a replaced value for {on} current again"
        return f"replaced the value for {on}"
    return f"{verb} the check-in for {on}"


def entries(
    changes: Sequence[Change], organisation: Organisation, metric: Metric | None = None
) -> list[Entry]:
    """The page's changes, readable. Values of check-ins, baselines and targets are in the
    units of `metric` when it is given."""
    names = Names(changes, organisation)
    return [
        Entry(
            change=change,
            actor="System" if change.actor_label == SYSTEM_LABEL else change.actor_label,
            summary=_summary(change, names, metric),
            fields=_fields(change, names, metric),
        )
        for change in changes
    ]
