import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.http import Http404, QueryDict
from django.utils import formats, timezone

from core import dates
from core.numbers import NumberField
from core.text import CleanTextField
from core.versioned import Versioned
from missions.models import (
    Alignment,
    Goal,
    Idea,
    Milestone,
    Mission,
    Resource,
    ResourceKind,
    StakeholderLink,
)
from orgs.forms import PeopleSelect, show_stored_choice
from orgs.models import Organisation, Stakeholder, StakeholderKind, User


def members_of(organisation: Organisation) -> Any:
    return User.objects.filter(memberships__organisation=organisation).order_by("email")


class OwnerChoiceMixin:
    """An owner field offering the organisation's members, by email (no ids in pages)."""

    fields: dict[str, forms.Field]

    def limit_owner(self, organisation: Organisation) -> None:
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.widget = PeopleSelect(attrs=owner.widget.attrs)  # given its choices just below
        owner.queryset = members_of(organisation)
        owner.to_field_name = "email"
        owner.required = False
        owner.empty_label = "Nobody yet"
        assert isinstance(self, forms.ModelForm)
        show_stored_choice(self, "owner")


class DateInput(forms.DateInput):
    """The browser's date picker, which only understands ISO dates in its value."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def when_changed(moment: datetime) -> str:
    """When a change was made, as a sentence ends: "at 14:02", or "on 3 Jun at 14:02"
    when it was not today, in the active time zone."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"at {local:%H:%M}"
    return f"on {dates.day_month(local)} at {local:%H:%M}"


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


# A version past PostgreSQL's integer range can only be made up; refuse it as a form error.
MAX_VERSION = 2**31 - 1


class VersionedForm(forms.ModelForm):
    """The edit form of a `Versioned` row: it carries the version it was loaded at, and
    `save_edit` refuses a save when someone else saved first.

    A refused form keeps everything typed, shows the stored value beside each field that
    differs, and carries the current version, so saving it again is a deliberate choice.
    """

    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION, required=True
    )
    bound_field_class = StoredBesideField
    instance: Versioned

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored_now: dict[str, str] = {}
        self.conflict = False
        if self.instance.pk is None:
            del self.fields["version"]  # adding: there is nothing to be out of date with
        else:
            self.fields["version"].initial = self.instance.version

    def save_edit(self, by: User) -> bool:
        """Save, unless someone else saved since this form was loaded (or the form does
        not say when it was loaded): then nothing is written and the form says why.

        A form refused for its input is also told, at once, of someone else's save, so
        the person fixes their input knowing what is stored now."""
        if self.is_valid():
            edited = [name for name in self._meta.fields or () if name in self.cleaned_data]
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
        noun = self.instance._meta.verbose_name
        if self.has_error("version"):
            self._show_stored(
                current,
                f"This page did not say which version of the {noun} you started from, "
                "so nothing was saved.",
            )
        elif current.version != self.cleaned_data["version"]:
            self.conflict = True
            who = current.edited_by.display_name if current.edited_by else "Someone"
            when = f" {when_changed(current.edited_at)}" if current.edited_at else ""
            self._show_stored(current, f"{who} changed this {noun}{when} while you were editing.")
        return False

    def _show_stored(self, current: Versioned, reason: str) -> None:
        """Keep what was typed, show the stored value beside each field that differs, and
        carry the current version, so that saving again is the person's choice."""
        self.stored_now = {
            name: self._shown(current, name)
            for name in self._meta.fields or ()
            if name in self.fields
            and (name not in self.cleaned_data or self.cleaned_data[name] != getattr(current, name))
        }
        if self.stored_now:
            advice = (
                "Your changes are below; the current values are shown beside them — "
                "review and save again."
            )
        else:
            advice = "What you typed matches what is stored now; save again to keep it."
        data = QueryDict(mutable=True)
        data.update(self.data)
        data[self.add_prefix("version")] = str(current.version)
        self.data = data
        self.errors.pop("version", None)
        self.add_error(None, f"{reason} {advice}")

    def _shown(self, current: Versioned, name: str) -> str:
        """A stored value as a person reads it."""
        value = getattr(current, name)
        field = self.fields[name]
        if value is None or value == "":
            if isinstance(field, forms.ModelChoiceField) and field.empty_label:
                return str(field.empty_label)
            return "(empty)"
        if getattr(current._meta.get_field(name), "choices", None):
            return str(getattr(current, f"get_{name}_display")())
        if isinstance(value, date):
            return formats.date_format(value, "j M Y")
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return str(value)


class MissionForm(OwnerChoiceMixin, VersionedForm):
    class Meta:
        model = Mission
        fields = (
            "title",
            "purpose",
            "problem",
            "beneficiaries",
            "end_state",
            "starts_on",
            "ends_on",
            "owner",
            "status",
            "visibility",
        )
        labels = {"starts_on": "Starts on", "ends_on": "Ends on"}
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "problem": forms.Textarea(attrs={"rows": 3}),
            "beneficiaries": forms.Textarea(attrs={"rows": 2}),
            "starts_on": DateInput(),
            "ends_on": DateInput(),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.limit_owner(organisation)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if Mission.objects.title_taken(self.organisation, title, exclude_pk=self.instance.pk):
            raise forms.ValidationError("Another mission already has this title.")
        return title

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", "The end date must be after the start date.")
        return data


class TemplateUseForm(forms.Form):
    """The title a mission drafted from a template gets; empty keeps the template's."""

    title = CleanTextField(max_length=160, required=False)


class GoalForm(OwnerChoiceMixin, VersionedForm):
    class Meta:
        model = Goal
        fields = ("title", "description", "owner", "due_on", "weight")
        labels = {"due_on": "Due on"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "due_on": DateInput()}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_owner(organisation)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ("title", "due_on")
        labels = {"due_on": "Due on"}
        widgets = {"due_on": DateInput()}


# --- Stakeholders -----------------------------------------------------------------------


class StakeholderForm(forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = (
            "name",
            "kind",
            "contact_name",
            "email",
            "consent_to_email",
            "digest_frequency",
            "notes",
        )
        labels = {"contact_name": "Contact name", "email": "Contact email"}
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        # Left out of a post, how often they hear from us stays as it is.
        self.fields["digest_frequency"].required = False

    def clean_digest_frequency(self) -> str:
        chosen: str = self.cleaned_data.get("digest_frequency") or ""
        return chosen or self.instance.digest_frequency

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Stakeholder.objects.filter(organisation=self.organisation, name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("The register already has a stakeholder with this name.")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("consent_to_email") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Add an email address to record consent to email.")
        kind = data.get("kind")
        if self.instance.pk and kind and kind != StakeholderKind.SUPPLIER:
            committed = self.instance.mission_links.exclude(commitment="").count()
            if committed:
                self.add_error(
                    "kind",
                    f"Only suppliers carry commitments, and {self.instance.name} has "
                    f"{committed} on missions. Clear them on those missions' Stakeholders "
                    "tabs first.",
                )
        return data


class StakeholderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class StakeholderLinkForm(forms.ModelForm):
    """Link a stakeholder from the register to a mission; a supplier may also commit."""

    stakeholder = StakeholderChoiceField(
        queryset=Stakeholder.objects.none(),
        to_field_name="uid",  # no sequential ids in the page
        empty_label="Choose a stakeholder",
        error_messages={
            "invalid_choice": "Choose a stakeholder from the register who is not linked yet."
        },
    )

    class Meta:
        model = StakeholderLink
        fields = ("stakeholder", "interest", "commitment", "commitment_due_on")
        labels = {"interest": "Their interest", "commitment_due_on": "Commitment due on"}
        help_texts = {"interest": "What they care about in this mission."}
        widgets = {"commitment_due_on": DateInput()}

    def __init__(self, *args: Any, mission: Mission, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("stakeholder")
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = (
                Stakeholder.objects.filter(organisation_id=mission.organisation_id)
                .exclude(mission_links__mission=mission)
                .order_by("name")
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "stakeholder" in self.fields:
            stakeholder = data.get("stakeholder")
        else:
            stakeholder = self.instance.stakeholder
        if stakeholder is None:
            return data
        commitment = data.get("commitment", "")
        if commitment and stakeholder.kind != StakeholderKind.SUPPLIER:
            kind = stakeholder.get_kind_display().lower()
            article = "an" if kind[0] in "aeiou" else "a"
            self.add_error(
                "commitment",
                f"Only suppliers carry commitments, and {stakeholder.name} is {article} {kind}. "
                "Record what they care about as their interest instead.",
            )
        dated = [f for f in ("commitment_due_on", "commitment_met_on") if data.get(f)]
        if dated and not commitment and "commitment" not in self.errors:
            self.add_error("commitment", "Say what the commitment is, or clear its dates.")
        return data


class StakeholderLinkEditForm(StakeholderLinkForm):
    """The stakeholder stays; what they want and commit to changes."""

    stakeholder = None  # type: ignore[assignment]

    class Meta(StakeholderLinkForm.Meta):
        fields = ("interest", "commitment", "commitment_due_on", "commitment_met_on")
        labels = StakeholderLinkForm.Meta.labels | {"commitment_met_on": "Commitment met on"}
        widgets = StakeholderLinkForm.Meta.widgets | {"commitment_met_on": DateInput()}

    def clean_commitment_met_on(self) -> date | None:
        met_on: date | None = self.cleaned_data["commitment_met_on"]
        if met_on and met_on > timezone.localdate():
            raise forms.ValidationError("A commitment cannot be met in the future.")
        return met_on


# --- Ideas ------------------------------------------------------------------------------


class IdeaForm(forms.ModelForm):
    class Meta:
        model = Idea
        fields = ("title", "description")
        labels = {"title": "Your idea or experiment"}
        help_texts = {"description": "What you would try, and what it would change."}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class IdeaAcceptForm(forms.Form):
    """Turn an idea into a goal or a milestone. The field is posted as `as`."""

    due_on = forms.DateField(label="Due on", required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `as` is a Python keyword, so the field cannot be declared on the class.
        self.fields["as"] = forms.ChoiceField(
            label="Turn it into",
            choices=[("goal", "A goal"), ("milestone", "A milestone")],
            error_messages={"required": "Choose whether it becomes a goal or a milestone."},
        )
        self.order_fields(["as", "due_on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("as") == "milestone" and not data.get("due_on") and not self.errors:
            self.add_error("due_on", "A milestone needs a due date.")
        return data


class IdeaDeclineForm(forms.Form):
    reason = CleanTextField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason, so the person who proposed it knows why."},
    )


class AlignmentForm(forms.ModelForm):
    """A team on a mission: offers the organisation's teams, by slug (no ids in pages)."""

    capacity = NumberField(
        label="Share of capacity (%)",
        min_value=0,
        max_value=100,
        decimal_places=0,
        help_text="How much of the team's time goes to this mission, from 0 to 100.",
        error_messages={
            "required": "Give the share of the team's capacity, from 0 to 100 %.",
            "whole": "Give the share of capacity as a whole number from 0 to 100.",
            "range": "Enter a share of capacity from 0 to 100 %% of the team's time.",
        },
    )

    class Meta:
        model = Alignment
        fields = ("team", "role", "capacity", "note")
        error_messages = {"team": {"required": "Choose a team."}}

    def __init__(self, *args: Any, mission: Mission, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mission = mission
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = mission.organisation.teams.order_by("name")
        team.to_field_name = "slug"
        team.empty_label = "Choose a team"
        team.error_messages["invalid_choice"] = "Choose one of the organisation's teams."
        show_stored_choice(self, "team")

    def clean_team(self) -> Any:
        team = self.cleaned_data["team"]
        aligned = Alignment.objects.filter(mission=self.mission, team=team)
        if aligned.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                f"{team.name} is already aligned to this mission. Change its share instead."
            )
        return team


CURRENCY_CODE = re.compile(r"[A-Z]{3}")


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ("kind", "name", "amount", "currency", "period", "note")
        labels = {"name": "What it is"}
        help_texts = {
            "amount": "Money for a budget, technology or other; full-time equivalents for people.",
            "currency": "Three letters, such as GBP or EUR. Not used for people.",
            "period": "How often the amount comes. Not used for people.",
        }
        error_messages = {
            "currency": {"max_length": "Use a three-letter currency code, such as GBP or EUR."},
            "kind": {"required": "Choose what kind of resource it is."},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [("", "Choose a kind"), *ResourceKind.choices]

    def clean_amount(self) -> Any:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise forms.ValidationError("The amount can't be negative.")
        return amount

    def clean_currency(self) -> str:
        currency: str = self.cleaned_data["currency"].strip().upper()
        if currency and not CURRENCY_CODE.fullmatch(currency):
            raise forms.ValidationError("Use a three-letter currency code, such as GBP or EUR.")
        return currency

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, amount = data.get("kind"), data.get("amount")
        if "amount" in self.errors:
            return data
        if kind == ResourceKind.PEOPLE:
            if amount is None:
                self.add_error("amount", "Give the people as full-time equivalents, such as 1.5.")
            data["currency"] = ""  # FTEs are not money
        elif kind == ResourceKind.BUDGET and amount is None:
            self.add_error("amount", "A budget needs an amount, such as 5000.")
        elif amount is not None and not data.get("currency") and "currency" not in self.errors:
            self.add_error("currency", "Give the currency of the amount, such as GBP.")
        return data
