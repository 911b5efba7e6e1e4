import re
from typing import Any

from django import forms
from django.utils import timezone

from core import dates
from core.forms import VersionedForm
from core.numbers import NumberField
from core.text import CleanTextField
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
from orgs.models import Invitation, Organisation, Stakeholder, StakeholderKind, User


def members_of(organisation: Organisation) -> Any:
    return User.objects.filter(memberships__organisation=organisation).order_by("email")


INVITED = "Invited, not joined yet"


class OwnerChoices(forms.models.ModelChoiceIterator):
    """The members, then (when the field offers them) the addresses invited but not joined
    yet, in a group of their own."""

    field: "OwnerField"

    def __iter__(self) -> Any:
        yield from super().__iter__()
        if self.field.invitations is not None:
            invited = [(i.email, f"{i.email} (invited)") for i in self.field.invitations]
            if invited:
                yield (INVITED, invited)


class OwnerField(forms.ModelChoiceField):
    """A member, by email; or, when `invitations` is set, one of those pending invitations,
    by the address it went to: work can be given to someone before they join."""

    iterator = OwnerChoices
    invitations: Any = None  # a QuerySet of pending invitations, when they are offered

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            # No address holds a NUL, and PostgreSQL refuses one in a query: not a choice.
            invitation = (
                self.invitations.filter(email__iexact=str(value)).first()
                if self.invitations is not None and "\x00" not in str(value)
                else None
            )
            if invitation is None:
                raise
            return invitation

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Invitation):
            return value.email
        return super().prepare_value(value)


class OwnerChoiceMixin:
    """An owner field offering the organisation's members, by email (no ids in pages);
    with `invited`, also the people invited who have not joined yet (the row's
    `owner_invitation`, handed to them when they accept: see missions.signals)."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    instance: Any
    also_saved: tuple[str, ...] = ()

    def limit_owner(self, organisation: Organisation, *, invited: bool = False) -> None:
        stored = self.fields["owner"]
        assert isinstance(stored, forms.ModelChoiceField)
        owner = OwnerField(
            queryset=members_of(organisation),
            to_field_name="email",
            required=False,
            empty_label="Nobody yet",
            label=stored.label,
            help_text=stored.help_text,
            widget=PeopleSelect(attrs=stored.widget.attrs),
        )
        if invited:
            owner.invitations = (
                Invitation.objects.filter(organisation=organisation).pending().order_by("email")
            )
            self.also_saved = ("owner_invitation",)
            owner.help_text = (
                "Someone invited who has not joined yet can be given it too: it is theirs "
                "once they accept."
            )
        self.fields["owner"] = owner
        assert isinstance(self, forms.ModelForm)
        show_stored_choice(self, "owner")
        if invited and self.instance.owner_invitation_id and not self.instance.owner_id:
            self.initial["owner"] = self.instance.owner_invitation.email

    def clean_owner(self) -> Any:
        """A chosen invitation is kept on the row's `owner_invitation`, its owner left
        empty until they join; choosing a member (or nobody) drops it."""
        chosen = self.cleaned_data["owner"]
        field = self.fields["owner"]
        if isinstance(field, OwnerField) and field.invitations is not None:
            self.instance.owner_invitation = chosen if isinstance(chosen, Invitation) else None
        return None if isinstance(chosen, Invitation) else chosen


class DateInput(forms.DateInput):
    """The browser's date picker, which only understands ISO dates in its value."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


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
        dates.keep_within(self, {"starts_on": dates.PLAN, "ends_on": dates.PLAN})

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
        self.limit_owner(organisation, invited=True)
        dates.keep_within(self, {"due_on": dates.PLAN})


class MilestoneForm(OwnerChoiceMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ("title", "due_on", "owner")
        labels = {"due_on": "Due on"}
        widgets = {"due_on": DateInput()}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_owner(organisation, invited=True)
        dates.keep_within(self, {"due_on": dates.PLAN})


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
            "is_public",
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
        dates.keep_within(
            self,
            {
                "commitment_due_on": dates.PLAN,
                "commitment_met_on": dates.past(timezone.localdate()),
            },
        )
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
        dates.keep_within(self, {"due_on": dates.PLAN})

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
