"""Text as people type it: normalised in one place, kept to a length every form shows."""

import importlib
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from core import numbers, text
from core.text import CleanTextField, LengthLimit, has_visible, normalise
from orgs.forms import SignupForm

ZWSP, ZWJ, BOM, RLO, LRI, PDI = "\u200b", "\u200d", "\ufeff", "\u202e", "\u2066", "\u2069"
PROJECT_APPS = ("core", "orgs", "audit", "missions", "metrics", "reporting")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Zero waste \n", "Zero waste"),
        (f"{ZWSP}{BOM}Zero waste{ZWJ}\u200e\u00a0", "Zero waste"),
        ("Cafe\u0301", "Café"),  # e + combining accent, as one character
        (f"invoice{RLO}gnp.exe", "invoicegnp.exe"),  # a direction override inside
        (f"{LRI}שלום{PDI} team", "שלום team"),
        (
            "\U0001f469\u200d\U0001f52c lab",
            "\U0001f469\u200d\U0001f52c lab",
        ),  # an emoji's joiner stays
        (f"a{ZWSP}b", f"a{ZWSP}b"),  # a break hint inside a word stays
        ("\u3164\u2800", ""),  # fillers that draw as nothing
        ("line one\nline two", "line one\nline two"),
    ],
)
def test_text_is_normalised_before_it_is_checked(typed, kept):
    assert normalise(typed) == kept


@pytest.mark.parametrize(
    ("typed", "visible"),
    [("x", True), ("\u0301", False), (f"{ZWSP}{ZWJ}{BOM}", False), ("\u3164", False), ("-", True)],
)
def test_visible_means_something_drawn(typed, visible):
    assert has_visible(typed) is visible


def test_a_required_text_of_only_invisible_characters_is_refused_with_a_reason():
    field = CleanTextField(max_length=160)
    with pytest.raises(ValidationError) as refused:
        field.clean(f"{ZWSP}{ZWJ}{BOM}\u2060")
    assert refused.value.messages == [
        "Enter at least one visible character: spaces and invisible characters alone don’t count."
    ]
    # Spaces alone are an empty box, as they always were.
    with pytest.raises(ValidationError, match="required"):
        field.clean("   ")
    assert CleanTextField(max_length=160, required=False).clean(ZWSP) == ""


def test_the_limit_counts_what_is_kept_and_is_said_for_people():
    field = CleanTextField(max_length=2000)
    assert field.clean(" " * 10 + "x" * 2000 + ZWSP) == "x" * 2000
    with pytest.raises(ValidationError) as refused:
        field.clean("x" * 2001)
    assert refused.value.messages == ["Keep this to 2,000 characters or fewer (it has 2,001)."]


def test_the_limit_is_in_the_page():
    class Comment(forms.Form):
        note = CleanTextField(max_length=2000, widget=forms.Textarea, help_text="What changed.")

    html = str(Comment()["note"].as_field_group())
    assert 'maxlength="2000"' in html
    assert "What changed. Up to 2,000 characters." in html
    assert 'aria-describedby="id_note_helptext"' in html


# ---- Every form, every model: one rule -----------------------------------------------


def project_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class the project defines: the URL configuration imports every view,
    and the views every form."""
    importlib.import_module("config.urls")
    found, waiting = [], list(forms.BaseForm.__subclasses__())
    while waiting:
        cls = waiting.pop()
        waiting += cls.__subclasses__()
        if cls.__module__.startswith(PROJECT_APPS):
            found.append(cls)
    return sorted(set(found), key=lambda cls: cls.__qualname__)


# allauth's sign-up declares a username, and takes it out when the form is made: Waymark
# signs people in by their email address.
REMOVED_WHEN_MADE = {"SignupForm.username"}


def test_every_free_text_field_of_every_form_is_normalised_and_limited():
    forms_seen = project_form_classes()
    assert len(forms_seen) >= 25, forms_seen
    plain = []
    for form_class in forms_seen:
        for name, field in form_class.base_fields.items():
            free_text = type(field) is forms.CharField or isinstance(field, CleanTextField)
            if isinstance(field.widget, forms.PasswordInput) or not free_text:
                continue
            if not isinstance(field, CleanTextField) or field.max_length is None:
                plain.append(f"{form_class.__qualname__}.{name}")
    assert "username" not in SignupForm().fields
    plain = [name for name in plain if name not in REMOVED_WHEN_MADE]
    assert not plain, f"free text without core.text.CleanTextField and a limit: {plain}"


def test_every_number_box_of_every_form_reads_the_organisation_format():
    plain = [
        f"{form_class.__qualname__}.{name}"
        for form_class in project_form_classes()
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.DecimalField | forms.IntegerField | forms.FloatField)
        # The version an edit started at; an hour picked from a list.
        and not isinstance(field.widget, forms.HiddenInput | forms.Select)
    ]
    assert not plain, f"number boxes that are not core.numbers.NumberField: {plain}"


def test_every_text_column_people_write_has_a_limit():
    unlimited = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.get_fields():
            limited = isinstance(field, text.TextField) and any(
                isinstance(v, LengthLimit) for v in field.validators
            )
            if isinstance(field, models.TextField) and field.editable and not limited:
                unlimited.append(f"{model._meta.label}.{field.name}")
    assert not unlimited


def test_an_over_long_text_stored_before_the_limits_still_saves_other_changes_elsewhere(cast):
    """The limit is a validator, not a database constraint: rows stored before it stay."""
    from tests.factories import MissionFactory

    mission = MissionFactory(organisation=cast.org, purpose="x" * 5_000)
    mission.status = "active"
    mission.save()
    mission.refresh_from_db()
    assert len(mission.purpose) == 5_000


def test_numbers_follow_the_model_range_in_words():
    from missions.models import Goal

    field = Goal._meta.get_field("weight").formfield()
    assert isinstance(field, numbers.NumberField)
    for typed in ("0", "-5", "101"):
        with pytest.raises(ValidationError) as refused:
            field.clean(typed)
        assert refused.value.messages == ["Enter a weight from 1 to 100."]
    assert field.clean("7") == 7
    with pytest.raises(ValidationError, match="whole number"):
        field.clean("1.5")
    assert Decimal(field.clean(" 42 ")) == 42
