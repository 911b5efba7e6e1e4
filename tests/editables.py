"""Missions, goals and metrics as rows people edit: what the edit-conflict tests share."""

import re
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from core.forms import VersionedForm
from core.versioned import Versioned
from metrics.forms import MetricForm
from missions.forms import GoalForm, MissionForm
from tests.factories import GoalFactory, MetricFactory, MissionFactory
from tests.security.forms import post_forms


@dataclass
class Editable:
    """One kind of row people edit, with what a test needs to edit it."""

    kind: str
    row: Versioned
    url: str
    text_field: str  # a field that takes any text, for typing into
    other_field: str  # another such field, for a second person's edit

    def form(self) -> VersionedForm:
        forms: dict[str, Any] = {"mission": MissionForm, "goal": GoalForm, "metric": MetricForm}
        return forms[self.kind](instance=self.stored(), organisation=self.org)

    def stored(self) -> Any:
        return type(self.row).objects.get(pk=self.row.pk)

    @property
    def org(self) -> Any:
        mission = self.row if self.kind == "mission" else self.row.mission
        return mission.organisation


def as_loaded(form: VersionedForm) -> dict[str, str]:
    """What the edit page posts when saved unchanged, hidden version included."""
    values = {name: form[name].value() for name in form.fields}
    return {name: "" if value is None else str(value) for name, value in values.items()}


def make_editable(cast: Any, kind: str) -> Editable:
    """A mission owned by the member (so the member and any admin may edit it), a goal on
    it and a metric on the goal."""
    mission = MissionFactory(
        organisation=cast.org, title="Zero waste", slug="zero-waste", owner=cast.member
    )
    if kind == "mission":
        return Editable(
            kind, mission, reverse("missions:edit", args=["acme", mission.slug]), "title", "problem"
        )
    goal = GoalFactory(mission=mission, title="Halve food waste", owner=cast.member)
    if kind == "goal":
        url = reverse("reporting:goal_edit", args=["acme", mission.slug, goal.uid])
        return Editable(kind, goal, url, "title", "description")
    metric = MetricFactory(goal=goal, name="Food wasted", owner=cast.member)
    url = reverse("metrics:edit", args=["acme", mission.slug, metric.uid])
    return Editable(kind, metric, url, "name", "source_note")


def as_shown(page: str, having: str = "version") -> dict[str, str]:
    """What the form on `page` with a field named `having` posts when saved as it is
    shown, as a browser would."""
    (form,) = [form for form in post_forms("/", page) if having in form.fields]
    values = {}
    for name, field in form.fields.items():
        # A browser drops the newline that opens a textarea's text.
        text = field.value.removeprefix("\n") if field.kind == "textarea" else field.value
        values[name] = text
    return values


def hidden_version(page: str) -> str:
    found = re.search(r'<input type="hidden" name="version" value="([^"]*)"', page)
    assert found, "the edit form carries its version"
    return found.group(1)
