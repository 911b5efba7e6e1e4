"""Edits through the API: the pages' own forms, filled with the stored row and the fields
a PATCH sent, and saved the way the pages save them.

A PATCH names the version it read. Unlike a page, it carries no record of the values it
started from, so a row saved since is never merged with: the answer is a 409 naming who
changed it and the version stored now, and nothing is written.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError

from api.access import Caller
from api.problems import Problem, field_errors
from audit.actors import Actor, acting_as
from core.forms import VersionedForm, display_name, when_changed
from core.versioned import Versioned


@contextmanager
def as_token(you: Caller) -> Iterator[None]:
    """Changes made inside are the token owner's, labelled with the token that made them."""
    owner = you.token.owner
    label = f"{owner.display_name} (API token “{you.token.name}”)"
    with acting_as(Actor(user=owner, label=label)):
        yield


def as_posted(value: Any) -> str:
    """A value as a form posts it: dates in ISO, nothing as the empty string."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def form_data(form: forms.ModelForm, changes: Mapping[str, Any]) -> dict[str, str]:
    """What the form's page would post to keep its row as stored, with `changes` made:
    a partial update of the row. `form` is an unbound one, on that row: its fields show
    the row as the page shows it (an owner by email, or the invitation given the row)."""
    stored = {name: form[name].value() for name in form._meta.fields or () if name in form.fields}
    return {name: as_posted(value) for name, value in (stored | dict(changes)).items()}


def refused(form: forms.BaseForm, names: Mapping[str, str]) -> Problem:
    """The form's errors as a 422, each under the name the API gives its field (`names`
    maps the form's to the API's); an error of the whole form is about the first field
    that was sent."""
    first = next(iter(names.values()), "body")
    return field_errors(
        {
            names.get(name, first if name == NON_FIELD_ERRORS else name): [
                str(error) for error in errors
            ]
            for name, errors in form.errors.items()
        }
    )


def conflict(row: Versioned, sent: int) -> Problem:
    """Someone saved the row after the version the request read."""
    noun = row._meta.verbose_name
    current = type(row)._default_manager.select_related("edited_by").get(pk=row.pk)
    who = display_name(current.edited_by)
    when = f" {when_changed(current.edited_at)}" if current.edited_at else ""
    return stale(f"{who} changed this {noun}{when}", sent, current.version)


def stale(changed: str, sent: int, now: int) -> Problem:
    return Problem(
        409,
        "version_conflict",
        f"{changed}, after the version you sent ({sent}); it is at version {now} now. "
        "Nothing was saved: read it again, and send your change with the new version.",
        errors=[{"field": "version", "message": f"Version {now} is stored now."}],
    )


def save_versioned(
    you: Caller, form: VersionedForm, version: int, names: Mapping[str, str]
) -> None:
    """Save a versioned row's form as its page does (VersionedForm.save_edit), as the
    token's owner, or raise the problem that says why not."""
    row = form.instance
    try:
        with as_token(you):
            if form.save_edit(by=you.token.owner):
                return
    except IntegrityError:
        # A title another save took a moment ago (the form checked it before): rolled back.
        raise field_errors(
            {names.get("title", "body"): ["Another one already has this; choose another."]}
        ) from None
    if form.conflict:
        # Saved by someone else since the version sent: form.save_edit's claim found a
        # newer version and, with no starting values to merge from, wrote nothing.
        raise conflict(row, version)
    raise refused(form, names)
