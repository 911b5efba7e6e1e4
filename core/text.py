"""Text as people type it: normalised before it is checked, and kept to a length.

Every free-text form field of the project is a `CleanTextField` (the model fields below
make it their form field), so one rule decides what a typed name or comment becomes:

- Unicode NFC, so "é" typed as e + accent and "é" typed as one character are one text;
- whitespace and invisible characters (zero-width spaces and joiners, byte-order marks,
  direction marks, fillers that draw as a blank) are stripped from both ends;
- inside the text, byte-order marks and the bidirectional embeddings, overrides and
  isolates are removed: they can make the rest of a page read backwards
  ("invoice\u202egnp.exe"), and the page sets the direction of what it shows itself.
  Joiners stay inside, where emoji sequences and some scripts need them;
- a required text with nothing visible left is refused.

Lengths: a text model field carries its limit as a validator, so forms, the CSV import
and the organisation import all refuse an over-long text with the same message, and the
form field puts the limit in the page (a `maxlength` and an "Up to … characters" hint).
Long text is a `TextField`, whose limit PostgreSQL does not enforce: rows stored before a
limit existed stay as they are, and still draw.
"""

import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

# Removed wherever they are: they change how other text reads, or are file-encoding debris.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
REMOVED_INSIDE = BIDI_CONTROLS | {"\ufeff"}
# Not format characters, yet drawn as nothing: the fillers people use for "blank" names.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
# Categories with nothing to see on their own: separators, controls, format characters,
# and combining marks with no letter to sit on.
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})

VISIBLE_MESSAGE = (
    "Enter at least one visible character: spaces and invisible characters alone don’t count."
)


def is_invisible(char: str) -> bool:
    return (
        char in BLANK_LOOKING
        or char.isspace()
        or unicodedata.category(char) in INVISIBLE_CATEGORIES
    )


def normalise(text: str) -> str:
    """NFC, without the invisible characters around it or the direction controls inside."""
    text = "".join(c for c in unicodedata.normalize("NFC", text) if c not in REMOVED_INSIDE)
    start, end = 0, len(text)
    while start < end and _strippable(text[start]):
        start += 1
    while end > start and _strippable(text[end - 1]):
        end -= 1
    return text[start:end]


def _strippable(char: str) -> bool:
    # A combining mark is part of the letter before it; only separators, controls,
    # format characters and blank fillers are stripped from the ends.
    return is_invisible(char) and unicodedata.category(char) not in ("Mn", "Me")


def has_visible(text: str) -> bool:
    return any(not is_invisible(c) for c in text)


@deconstructible
class LengthLimit(MaxLengthValidator):
    """At most `limit_value` characters, said for people."""

    message = "Keep this to %(limit_value)s characters or fewer (it has %(show_value)s)."

    def __call__(self, value: Any) -> None:
        if isinstance(value, str) and len(value) > self.limit_value:
            raise ValidationError(
                self.message,
                code=self.code,
                params={
                    "limit_value": f"{self.limit_value:,}",
                    "show_value": f"{len(value):,}",
                    "value": value,
                },
            )


def limit_hint(max_length: int) -> str:
    return f"Up to {max_length:,} characters."


class CleanTextField(forms.CharField):
    """A text box whose value is normalised (see the module) before it is checked, and
    whose length limit is in the page: a `maxlength`, and a hint saying it."""

    default_error_messages = {"invisible": VISIBLE_MESSAGE}

    def __init__(self, *, max_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        if max_length is not None:
            # The validator CharField added says the limit in Django's words; ours for people.
            self.validators = [
                v for v in self.validators if not isinstance(v, MaxLengthValidator)
            ] + [LengthLimit(max_length)]
            hint = limit_hint(max_length)
            self.help_text = f"{self.help_text} {hint}" if self.help_text else hint

    def to_python(self, value: Any) -> str | None:
        return super().to_python(normalise(value) if isinstance(value, str) else value)

    def clean(self, value: Any) -> Any:
        try:
            return super().clean(value)
        except ValidationError as error:
            # More than spaces was typed, and none of it can be seen: say so, rather than
            # "required" (spaces alone are an empty box, as they always were).
            typed = isinstance(value, str) and value.strip()
            if getattr(error, "code", None) == "required" and typed:
                raise ValidationError(self.error_messages["invisible"], code="invisible") from None
            raise


class TextFieldMixin:
    """A model text field whose form field is a `CleanTextField`, and whose limit is
    checked by `LengthLimit` (forms, the CSV import and the organisation import alike)."""

    max_length: int | None

    @cached_property
    def validators(self) -> list[Any]:
        kept = [v for v in super().validators if type(v) is not MaxLengthValidator]  # type: ignore[misc]
        return [*kept, LengthLimit(self.max_length)] if self.max_length else kept

    def formfield(self, **kwargs: Any) -> Any:
        if getattr(self, "choices", None):
            return super().formfield(**kwargs)  # type: ignore[misc]
        return super().formfield(**{"form_class": CleanTextField, **kwargs})  # type: ignore[misc]


class CharField(TextFieldMixin, models.CharField):
    """One line of text: a name, a title, a short note. The database holds its limit too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # models.CharField adds Django's own length validator after ours: the limit once.
        self.validators[:] = [v for v in self.validators if type(v) is not MaxLengthValidator]


class TextField(TextFieldMixin, models.TextField):
    """Several lines of text: a purpose, a comment, a narrative. `max_length` is required,
    and checked by the validator rather than the database (see the module)."""

    def __init__(self, *args: Any, max_length: int, **kwargs: Any) -> None:
        kwargs["max_length"] = max_length
        super().__init__(*args, **kwargs)
