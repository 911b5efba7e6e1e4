"""Edit forms that meet someone else's newer save: they merge it (core.merge) instead of
overwriting it, and show, beside each field both people changed, the value stored now."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.forms.boundfield import BoundField
from django.http import Http404, HttpRequest, QueryDict
from django.utils import formats, timezone
from django.utils.text import get_text_list

from core import dates
from core.merge import read_base, sign_base, three_way
from core.versioned import Versioned


def when_changed(moment: datetime) -> str:
    """When a change was made, as a sentence ends: "at 14:02", or "on 3 Jun at 14:02"
    when it was not today, in the active time zone."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"at {local:%H:%M}"
    return f"on {dates.day_month(local)} at {local:%H:%M}"


def display_name(user: Any) -> str:
    return str(getattr(user, "display_name", "") or "Someone")


class StoredBesideField(BoundField):
    """A field that can show, beside what was typed, the value stored now."""

    @property
    def stored_now(self) -> str:
        return getattr(self.form, "stored_now", {}).get(self.name, "")

    @property
    def aria_describedby(self) -> str | None:
        described = super().aria_describedby
        if described is not None and self.stored_now and self.auto_id:
            described = f"{described} {self.auto_id}_stored".strip()
        return described


class MergingForm(forms.ModelForm):
    """A model form that can merge what was posted with a row saved since the person
    started (`merge_with`), field by field, as `core.merge.three_way` decides.

    A field is compared as the form holds it: a person chosen by email is their email, a
    number its Decimal, so "10" typed over a stored 10.00 is no change.
    """

    bound_field_class = StoredBesideField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored_now: dict[str, str] = {}
        # Whether someone else's save overtook this one and a field is in dispute.
        self.conflict = False
        # Set when a save kept someone else's change: what the page then tells the person.
        self.merged = ""

    def merged_fields(self) -> list[str]:
        """The model's fields this form edits: those a merge compares."""
        return [
            name
            for name in self._meta.fields or ()
            if name in self.fields and not self.fields[name].disabled
        ]

    def values_of(self, row: models.Model) -> dict[str, Any]:
        """A row's values as this form holds them."""
        values = {}
        for name in self.merged_fields():
            field = self.fields[name]
            if isinstance(field, forms.ModelChoiceField):
                related = getattr(row, name)
                values[name] = None if related is None else field.prepare_value(related)
            else:
                model_field = row._meta.get_field(name)
                assert isinstance(model_field, models.Field)
                values[name] = model_field.value_from_object(row)
        return values

    def typed_values(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """What was posted, as this form holds it. A field refused for its input counts
        as unchanged when what was posted is what the form started from (say, an owner who
        has since left), and otherwise as what was typed."""
        typed = {}
        for name in self.merged_fields():
            field = self.fields[name]
            if name in self.cleaned_data:
                value = self.cleaned_data[name]
                if isinstance(field, forms.ModelChoiceField) and value is not None:
                    value = field.prepare_value(value)
                typed[name] = value
            elif name in base and not field.has_changed(base[name], self[name].data):
                typed[name] = base[name]
            else:
                typed[name] = self[name].data
        return typed

    def merge_with(
        self,
        base: Mapping[str, Any],
        current: models.Model,
        *,
        who: str,
        when: str,
        news: str,
        carry: Mapping[str, Any] | None = None,
    ) -> bool:
        """Merge what was posted, an edit of `base`, with the `current` row that `who`
        saved `when`, bind the form to the result (with `carry`'s hidden values) and clean
        it again: saved, it keeps every change nobody disputed.

        Returns whether it may be saved. If not, because both changed a field differently
        or the merged whole is refused, the form says so, starting with `news`, and each
        field in conflict keeps what the person typed with the stored value beside it."""
        merge = three_way(base, self.values_of(current), self.typed_values(base))
        self.rebind({name: merge.values[name] for name in merge.theirs} | dict(carry or {}))
        self.stored_now = {name: self.as_read(current, name) for name in merge.conflicts}
        said = [news]
        if merge.theirs:
            kept = f"change to {self.labels(merge.theirs)} is kept"
            if len(merge.theirs) > 1:
                kept = f"changes to {self.labels(merge.theirs)} are kept"
            said.append(f"Their {kept}.")
            self.merged = f"{who} changed it{when} too; their {kept}."
        if merge.conflicts:
            self.conflict = True
            said.append(
                f"You both changed {self.labels(merge.conflicts)}: yours is in the form, "
                "with the value stored now beside it. Keep yours, or change it, and save again."
            )
        if merge.conflicts or self.errors:
            self.add_error(None, " ".join(said))
            return False
        return True

    def rebind(self, changes: Mapping[str, Any]) -> None:
        """Bind the form to its data with `changes` made, and clean it again."""
        data = QueryDict(mutable=True)
        data.update(self.data)
        for name, value in changes.items():
            data[self.add_prefix(name)] = "" if value is None else value
        self.data = data
        self.full_clean()

    def labels(self, names: Sequence[str]) -> str:
        """Fields named as a person reads them: "Title, Purpose and Owner"."""
        return str(get_text_list([str(self[name].label) for name in names], "and"))

    def as_read(self, row: models.Model, name: str) -> str:
        """A stored value as a person reads it."""
        value = getattr(row, name)
        field = self.fields[name]
        if value is None or value == "":
            if isinstance(field, forms.ModelChoiceField) and field.empty_label:
                return str(field.empty_label)
            return "(empty)"
        if getattr(row._meta.get_field(name), "choices", None):
            return str(getattr(row, f"get_{name}_display")())
        if isinstance(value, date):
            return formats.date_format(value, "j M Y")
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return str(value)


def focus_asked(form: forms.BaseForm, request: HttpRequest) -> None:
    """Give the field named by `?focus=` the focus when the page opens: a link that says
    "Set an end date" lands on the end date. An unknown name is ignored; a form with errors
    keeps its own focus (the first wrong field)."""
    name = request.GET.get("focus", "")
    if name in form.fields and not form.errors:
        form.fields[name].widget.attrs["autofocus"] = True


# A version past PostgreSQL's integer range can only be made up; refuse it as a form error.
MAX_VERSION = 2**31 - 1
# Merging again when yet another save lands in between; past this, the person decides.
MERGE_ATTEMPTS = 3


class VersionedForm(MergingForm):
    """The edit form of a `Versioned` row. It carries the version it was loaded at and,
    signed, the values it started from; a save that meets a newer version merges with it.

    What the person left alone takes the stored value, what only they changed is saved,
    and only fields both changed, differently, come back as a conflict: the form keeps
    what was typed there, shows the stored value beside it, and carries the current
    version and values, so saving it again is a deliberate choice that keeps every change
    nobody disputed.
    """

    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION, required=True
    )
    # Any text: a token that is not one of ours is read as no token (core.merge.read_base).
    base = forms.Field(widget=forms.HiddenInput, required=False)
    instance: Versioned
    # Model fields the form sets on its instance beside its own fields (the invitation an
    # owner choice may name), saved with them.
    also_saved: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # Adding: there is nothing to be out of date with.
            del self.fields["version"], self.fields["base"]
        else:
            self.fields["version"].initial = self.instance.version
            # Read when the page is drawn, after the subclass has set up its fields (an
            # owner chosen by email).
            instance = self.instance
            self.fields["base"].initial = lambda: self.base_token(instance)

    def base_token(self, row: Versioned) -> str:
        return sign_base(self.values_of(row), about=self.about(row, row.version))

    @staticmethod
    def about(row: Versioned, version: int) -> str:
        return f"{row._meta.label_lower}:{row.pk}:{version}"

    def save_edit(self, by: AbstractBaseUser) -> bool:
        """Save, merging with any save made since this form was loaded. Nothing is
        written, and the form says why, when both changed the same field differently,
        when the form does not say which version it started from, or when its input (or
        the merged whole) is refused.

        A form refused for its input is also told, at once, of someone else's save, so
        the person fixes their input knowing what is stored now."""
        noun = self.instance._meta.verbose_name
        for _ in range(MERGE_ATTEMPTS):
            if self.is_valid():
                edited = [name for name in self._meta.fields or () if name in self.cleaned_data]
                edited += self.also_saved
                if self.instance.save_edit(edited, version=self.cleaned_data["version"], by=by):
                    return True
            current = (
                type(self.instance)
                ._default_manager.select_related("edited_by")
                .filter(pk=self.instance.pk)
                .first()
            )
            if current is None:  # deleted meanwhile: there is nothing left to save over
                raise Http404
            if self.has_error("version"):
                self._show_stored(
                    current,
                    f"This page did not say which version of the {noun} you started from, "
                    "so nothing was saved.",
                )
                return False
            started = self.cleaned_data["version"]
            if current.version == started:
                return False  # refused for its input alone
            who = display_name(current.edited_by)
            when = f" {when_changed(current.edited_at)}" if current.edited_at else ""
            news = f"{who} changed this {noun}{when} while you were editing."
            token = self.cleaned_data.get("base") or ""
            base = read_base(str(token), about=self.about(current, started))
            if base is None:  # a post that does not say what it started from: show it all
                self.conflict = True
                self._show_stored(current, news)
                return False
            carry = {"version": current.version, "base": self.base_token(current)}
            if not self.merge_with(base, current, who=who, when=when, news=news, carry=carry):
                return False
        self.conflict = True
        self.add_error(None, f"Others kept saving this {noun} while you were; save again.")
        return False

    def _show_stored(self, current: Versioned, reason: str) -> None:
        """Keep what was typed, show the stored value beside each field that differs, and
        carry the current version and values, so that saving again is the person's choice."""
        self.stored_now = {
            name: self.as_read(current, name)
            for name in self.merged_fields()
            if name not in self.cleaned_data or self.cleaned_data[name] != getattr(current, name)
        }
        if self.stored_now:
            advice = (
                "Your changes are below; the current values are shown beside them — "
                "review and save again."
            )
        else:
            advice = "What you typed matches what is stored now; save again to keep it."
        self.rebind({"version": current.version, "base": self.base_token(current)})
        self.add_error(None, f"{reason} {advice}")
