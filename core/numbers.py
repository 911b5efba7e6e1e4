"""Numbers as people type them, in their organisation's format, and as pages show them.

An organisation writes decimals with a point (1.5, the default) or a comma (1,5). The
format in force is activated for a request (orgs.access.OrgAccessMiddleware), as Django
activates a time zone, and `parse_number` reads it:

- the decimal mark is the format's own: "1,5" is 1.5 in a comma organisation and is
  refused in a point one, with a message naming the format;
- thousands may be grouped with the other mark or a space, in groups of exactly three
  digits: 1,250.5 or 1 250.5 (point), 1.250,5 or 1 250,5 (comma). So "1.250" in a
  comma organisation is twelve hundred and fifty, as its people read it; "1.25" there
  is refused, being neither a decimal nor a thousand;
- a sign may lead (+, -, or the typographic minus); no exponents, no NaN or infinity;
- minus zero is zero.

Every number box of the project is a `NumberField`: a text box with the number keyboard
(`inputmode="decimal"`; a number input can't take a comma), whose range messages say
the range for people ("Enter a weight from 1 to 100.").
"""

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property

N = TypeVar("N", Decimal, float, int)


class NumberFormat(models.TextChoices):
    POINT = "point", "Decimal point: 1,250.5"
    COMMA = "comma", "Decimal comma: 1.250,5"


MARKS = {NumberFormat.POINT: (".", ","), NumberFormat.COMMA: (",", ".")}  # decimal, thousands
EXAMPLE = {NumberFormat.POINT: "1.5", NumberFormat.COMMA: "1,5"}
SPACES = "\u0020\u00a0\u2009\u202f"  # space, no-break, thin and narrow no-break space

_active: ContextVar[str] = ContextVar("number_format", default=NumberFormat.POINT)


def activate(number_format: str) -> None:
    _active.set(number_format)


def deactivate() -> None:
    _active.set(NumberFormat.POINT)


def active() -> NumberFormat:
    value = _active.get()
    return NumberFormat(value) if value in NumberFormat.values else NumberFormat.POINT


@contextmanager
def override(number_format: str) -> Iterator[None]:
    token = _active.set(number_format)
    try:
        yield
    finally:
        _active.reset(token)


def _pattern(decimal: str, thousands: str) -> re.Pattern[str]:
    d, t = re.escape(decimal), re.escape(thousands)
    return re.compile(
        rf"(?P<sign>[+-]?)(?P<whole>\d+|\d{{1,3}}(?:[{t} ]\d{{3}})+|)(?:{d}(?P<part>\d*))?"
    )


PATTERNS = {fmt: _pattern(*marks) for fmt, marks in MARKS.items()}


def _typed(text: str) -> str:
    # Fullwidth digits and signs become ASCII; every kind of space becomes a space.
    text = unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")
    return "".join(" " if c in SPACES else c for c in text)


def format_rule(number_format: str | None = None) -> str:
    fmt = NumberFormat(number_format or active())
    mark = "a point" if fmt == NumberFormat.POINT else "a comma"
    return f"Use {mark} for decimals, like {EXAMPLE[fmt]}."


def parse_number(text: str, number_format: str | None = None) -> Decimal:
    """The number `text` says in the format (the active one unless given); ValidationError
    with a message for people when it says none."""
    fmt = NumberFormat(number_format or active())
    typed = _typed(text)
    found = PATTERNS[fmt].fullmatch(typed)
    if found is None or not (found["whole"] or found["part"]):
        other = NumberFormat.COMMA if fmt == NumberFormat.POINT else NumberFormat.POINT
        if PATTERNS[other].fullmatch(typed) and typed.strip("+-"):
            raise ValidationError(format_rule(fmt), code="format")
        raise ValidationError(f"Enter a number, like {EXAMPLE[fmt]}.", code="invalid")
    whole = re.sub(r"\D", "", found["whole"]) or "0"
    try:
        part = f".{found['part']}" if found["part"] else ""
        value = Decimal(f"{found['sign']}{whole}{part}")
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        raise ValidationError(f"Enter a number, like {EXAMPLE[fmt]}.", code="invalid") from None
    return without_negative_zero(value)


def without_negative_zero[N: (Decimal, float, int)](value: N) -> N:
    """-0 (or a value that rounds to it) as plain 0: nobody reads "-0 %" as news."""
    return abs(value) if value == 0 else value


def readable(value: Decimal | float | int, places: int = 2) -> str:
    """A number as pages show it: grouped, at most `places` decimals, no trailing zeros,
    and never "-0" (1,250 · 3.5 · -12 · 0)."""
    rounded = without_negative_zero(round(Decimal(value), places))
    text = f"{rounded:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plain(value: Decimal | float | int, number_format: str | None = None) -> str:
    """A number as a form box holds it: no grouping, no trailing zeros, the format's
    decimal mark (12.5 or 12,5)."""
    fmt = NumberFormat(number_format or active())
    text = f"{without_negative_zero(Decimal(value)).normalize():f}"
    return text.replace(".", MARKS[fmt][0])


class NumberField(forms.Field):
    """A number box: the organisation's decimal mark, a range said for people, and a
    whole number when `decimal_places` is 0.

    `noun` names what is asked for in the range message ("Enter a weight from 1 to
    100."); without one, "a number".
    """

    widget = forms.TextInput
    default_error_messages = {
        "range": "Enter %(noun)s from %(min)s to %(max)s.",
        "min_value": "Enter %(noun)s of %(min)s or more.",
        "max_value": "Enter %(noun)s of %(max)s or less.",
        "max_places": "Enter %(noun)s with at most %(places)s decimal places.",
        "whole": "Enter a whole number, like 3.",
        "too_big": "Enter %(noun)s with at most %(digits)s digits before the decimal mark.",
    }

    def __init__(
        self,
        *,
        min_value: Decimal | int | None = None,
        max_value: Decimal | int | None = None,
        max_digits: int | None = None,
        decimal_places: int | None = None,
        noun: str = "a number",
        **kwargs: Any,
    ) -> None:
        self.min_value, self.max_value = min_value, max_value
        self.max_digits, self.decimal_places = max_digits, decimal_places
        self.noun = noun
        kwargs.setdefault("localize", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.TextInput) and not widget.is_hidden:
            attrs |= {"inputmode": "decimal", "autocomplete": "off"}
        return attrs

    @property
    def whole(self) -> bool:
        return self.decimal_places == 0

    def _params(self) -> dict[str, Any]:
        return {
            "noun": self.noun,
            "min": self._shown(self.min_value),
            "max": self._shown(self.max_value),
            "places": self.decimal_places,
            "digits": (self.max_digits or 0) - (self.decimal_places or 0),
        }

    def _shown(self, value: Decimal | int | None) -> str:
        return "" if value is None else plain(value).replace("-", "\u2212")

    def _error(self, code: str) -> ValidationError:
        return ValidationError(self.error_messages[code], code=code, params=self._params())

    def to_python(self, value: Any) -> Decimal | int | None:
        if value in self.empty_values:
            return None
        number = Decimal(value) if isinstance(value, int | Decimal) else parse_number(str(value))
        if self.whole:
            if number != number.to_integral_value():
                raise self._error("whole")
            return int(number)
        return number

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        low, high = self.min_value, self.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                raise self._error("range")
            raise self._error("min_value" if low is not None and value < low else "max_value")
        number = Decimal(value)
        if self.decimal_places is not None and not self.whole:
            exponent = number.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > self.decimal_places:
                raise self._error("max_places")
        if self.max_digits is not None:
            whole_digits = len(str(abs(int(number)))) if number else 0
            if whole_digits > self.max_digits - (self.decimal_places or 0):
                raise self._error("too_big")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return plain(value)
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != self.to_python(initial)
        except ValidationError:
            return True


class NumberFieldMixin:
    """A model number field whose form field is a `NumberField`, its range taken from the
    field's own validators, so the form says the same range the model checks."""

    verbose_name: Any

    @cached_property
    def form_range(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for validator in self.validators:  # type: ignore[attr-defined]
            if isinstance(validator, MinValueValidator):
                limit = validator.limit_value
                found["min_value"] = max(limit, found.get("min_value", limit))
            elif isinstance(validator, MaxValueValidator):
                limit = validator.limit_value
                found["max_value"] = min(limit, found.get("max_value", limit))
        return found

    def formfield(self, **kwargs: Any) -> Any:
        defaults = {"form_class": NumberField, "noun": f"a {self.verbose_name}", **self.form_range}
        if isinstance(self, models.DecimalField):
            defaults |= {"max_digits": self.max_digits, "decimal_places": self.decimal_places}
        else:
            defaults["decimal_places"] = 0
        field = super().formfield(**defaults | kwargs)  # type: ignore[misc]
        return field


class DecimalField(NumberFieldMixin, models.DecimalField):
    """A decimal whose form field reads the organisation's format (see the module)."""


class WholeNumberField(NumberFieldMixin, models.PositiveSmallIntegerField):
    """A small whole number (a weight, a share) whose form field says its range for people."""
