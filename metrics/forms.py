import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import cached_property

from core import dates
from core.csv_safety import plain_number
from core.forms import MERGE_ATTEMPTS, MergingForm, VersionedForm, display_name, when_changed
from metrics.models import CheckIn, Confidence, Direction, Metric, MetricFormat
from metrics.services import CheckInConflict, checkin_correct, checkin_record
from missions.forms import DateInput, OwnerChoiceMixin
from orgs.models import Organisation, User


class MetricForm(OwnerChoiceMixin, VersionedForm):
    instance: Metric

    class Meta:
        model = Metric
        fields = (
            "name",
            "kind",
            "unit",
            "format",
            "direction",
            "baseline_value",
            "baseline_on",
            "target_value",
            "target_on",
            "cadence",
            "first_due_on",
            "owner",
            "weight",
            "source_note",
        )
        labels = {
            "baseline_value": "Baseline",
            "baseline_on": "Baseline date",
            "target_value": "Target",
            "target_on": "Target date",
            "first_due_on": "First check-in due",
        }
        help_texts = {
            "first_due_on": "Optional. Leave it empty for one cadence after today.",
        }
        widgets = {
            "baseline_on": DateInput(),
            "target_on": DateInput(),
            "first_due_on": DateInput(),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_owner(organisation, invited=True)
        if self.instance.latest_on is not None:
            del self.fields["first_due_on"]  # checked in already: it is due a cadence after
        today = timezone.localdate()
        dates.keep_within(
            self,
            {
                "baseline_on": dates.past(today),
                "target_on": dates.PLAN,
                "first_due_on": dates.ahead(today),
            },
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        baseline, target = data.get("baseline_value"), data.get("target_value")
        baseline_on, target_on = data.get("baseline_on"), data.get("target_on")
        refused = self.has_error("baseline_value") or self.has_error("baseline_on")
        if (baseline is None) != (baseline_on is None) and not refused:
            self.add_error(
                "baseline_on" if baseline is not None else "baseline_value",
                "Give the baseline and the date it was measured together.",
            )
        if baseline_on and target_on and target_on <= baseline_on:
            self.add_error("target_on", "The target date must be after the baseline date.")
        moving = data.get("direction") in (Direction.INCREASE, Direction.DECREASE)
        if moving and baseline is not None and target is not None:
            if target == baseline:
                self.add_error("target_value", "The target must differ from the baseline.")
            elif data["direction"] == Direction.INCREASE and target < baseline:
                self.add_error(
                    "target_value", "To increase, the target must be above the baseline."
                )
            elif data["direction"] == Direction.DECREASE and target > baseline:
                self.add_error(
                    "target_value", "To decrease, the target must be below the baseline."
                )
        return data


class CheckInForm(MergingForm):
    """A reading for a metric: the value, how confident its owner is, a comment and the date.

    A correction that meets a newer one merges with it (`merge_with`)."""

    class Meta:
        model = CheckIn
        fields = ("value", "confidence", "note", "for_date")
        widgets = {
            "for_date": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
            "confidence": forms.RadioSelect(),
        }

    def __init__(self, *args: Any, metric: Metric, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metric, self.today = metric, today
        value = self.fields["value"]
        if metric.format == MetricFormat.YES_NO:
            value.widget = forms.Select(choices=[("1", "Yes"), ("0", "No")])
        value.label = f"Value ({metric.unit})" if metric.unit else "Value"
        self.fields["for_date"].initial = today
        # Refused, with the reason, by check_reading_date.
        dates.offer_only(
            self, "for_date", dates.past(today, since=metric.baseline_on or dates.EARLIEST)
        )

    @staticmethod
    def starting_from(checkin: CheckIn) -> dict[str, Any]:
        """A correction starts from the reading it replaces, its comment included."""
        return {
            "value": Decimal(plain_number(checkin.value)),  # 12.5, not 12.5000
            "confidence": checkin.confidence,
            "note": checkin.note,
            "for_date": checkin.for_date,
        }

    def clean_value(self) -> Decimal:
        value: Decimal = self.cleaned_data["value"]
        self.metric.check_reading(value)
        return value

    def clean_for_date(self) -> date:
        for_date: date = self.cleaned_data["for_date"]
        if not self.fields["for_date"].disabled:  # a correction keeps its reading's date
            self.metric.check_reading_date(for_date, self.today)
        return for_date

    def record(self, by: User) -> CheckIn:
        """Record the reading posted; a second one for the same date corrects the first."""
        return checkin_record(
            self.metric,
            value=self.cleaned_data["value"],
            for_date=self.cleaned_data["for_date"],
            confidence=self.cleaned_data["confidence"],
            note=self.cleaned_data["note"],
            author=by,
        )

    def save_correction(self, checkin: CheckIn, by: User) -> CheckIn | None:
        """Correct `checkin` with what was posted, merging with any correction saved since:
        what this person left as it was takes the other correction's value.

        Returns the correction, or None when the form is refused (then it says why):
        for its input, or because both corrected a field differently. The form then
        stands against the correction stored now, `self.corrects`, so that saving it
        again is a deliberate choice."""
        self.corrects, base = checkin, self.values_of(checkin)
        for _ in range(MERGE_ATTEMPTS):
            if not self.is_valid():
                return None
            try:
                return checkin_correct(
                    self.corrects,
                    value=self.cleaned_data["value"],
                    confidence=self.cleaned_data["confidence"],
                    note=self.cleaned_data["note"],
                    author=by,
                )
            except CheckInConflict as error:
                stored = (
                    CheckIn.objects.filter(
                        metric_id=checkin.metric_id, is_current=True, for_date=checkin.for_date
                    )
                    .select_related("author")
                    .first()
                )
                if stored is None or stored.pk == self.corrects.pk:
                    self.conflict = True
                    self.add_error(None, str(error))
                    return None
                who = display_name(stored.author)
                when = f" {when_changed(stored.created_at)}"
                news = f"{who} corrected this check-in{when} while you were editing."
                carry = self.carried(stored)
                if not self.merge_with(base, stored, who=who, when=when, news=news, carry=carry):
                    self.corrects = stored
                    return None
                self.corrects, base = stored, self.values_of(stored)
        self.conflict = True
        self.add_error(None, "Others kept correcting this check-in while you were; save again.")
        return None

    def as_read(self, row: Any, name: str) -> str:
        if name == "value":  # in the metric's units, "Yes" or "No" for a yes-or-no one
            return self.metric.format_value(row.value)
        return super().as_read(row, name)

    def carried(self, replaces: CheckIn) -> dict[str, Any]:
        """What else the form must carry to stand against the correction `replaces`."""
        return {}


class RowCheckInForm(CheckInForm):
    """The check-in form in a row of My check-ins, one per metric on the page; the page's
    template writes out its fields (templates/metrics/my_checkins.html, checkin_form)."""

    # The reading "Change it" corrects, by its uid: posted with it, the form corrects that
    # reading and merges with any correction made since (`save_correction`). Any text: the
    # view looks it up among the metric's check-ins (`replacing`).
    replaces = forms.Field(widget=forms.HiddenInput, required=False)

    def __init__(
        self, data: Any = None, *, metric: Metric, today: date, correcting: CheckIn | None = None
    ) -> None:
        initial: dict[str, Any] = {"confidence": metric.latest_confidence or Confidence.ON_TRACK}
        if correcting is not None:
            initial = self.starting_from(correcting) | {"replaces": correcting.uid}
        super().__init__(
            data,
            metric=metric,
            today=today,
            # Each row's fields get their own ids: a page holds one form per metric.
            auto_id=f"checkin-{metric.uid.hex}-%s",
            label_suffix="",
            initial=initial,
        )
        if metric.format == MetricFormat.YES_NO:
            # No answer is chosen for them: a quick tap must not record a "Yes" nobody meant.
            value = self.fields["value"].widget
            assert isinstance(value, forms.Select)
            value.choices = [("", "Yes or no?"), ("1", "Yes"), ("0", "No")]

    def replacing(self) -> CheckIn | None:
        """The reading this post corrects, when it came from "Change it" and kept its date."""
        try:
            uid = uuid.UUID(str(self["replaces"].data or ""))
        except ValueError:
            return None
        checkin = self.metric.checkins.filter(uid=uid).first()
        if checkin is None or checkin.for_date != self.cleaned_data.get("for_date"):
            return None
        return checkin

    def carried(self, replaces: CheckIn) -> dict[str, Any]:
        return {"replaces": replaces.uid}

    @cached_property
    def first_wrong(self) -> str | None:
        """The first field with an error: the cursor goes there when the form comes back."""
        if not self.is_bound:
            return None
        return next((name for name in self.errors if name in self.fields), None)

    @cached_property
    def shown(self) -> dict[str, Any]:
        """Each field's value as its widget writes it into the page (None: no value)."""
        return {
            name: field.widget.format_value(self[name].value())
            for name, field in self.fields.items()
        }
