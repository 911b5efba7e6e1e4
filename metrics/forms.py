from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.functional import cached_property

from metrics.models import CheckIn, Confidence, Direction, Metric, MetricFormat
from missions.forms import DateInput, OwnerChoiceMixin, VersionedForm
from orgs.models import Organisation


class MetricForm(OwnerChoiceMixin, VersionedForm):
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
            "owner",
            "weight",
            "source_note",
        )
        labels = {
            "baseline_value": "Baseline",
            "baseline_on": "Baseline date",
            "target_value": "Target",
            "target_on": "Target date",
        }
        widgets = {"baseline_on": DateInput(), "target_on": DateInput()}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_owner(organisation)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        baseline, target = data.get("baseline_value"), data.get("target_value")
        baseline_on, target_on = data.get("baseline_on"), data.get("target_on")
        if (baseline is None) != (baseline_on is None):
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


class CheckInForm(forms.ModelForm):
    """A reading for a metric: the value, how confident its owner is, a comment and the date."""

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

    def clean_value(self) -> Decimal:
        value: Decimal = self.cleaned_data["value"]
        self.metric.check_reading(value)
        return value

    def clean_for_date(self) -> date:
        for_date: date = self.cleaned_data["for_date"]
        self.metric.check_reading_date(for_date, self.today)
        return for_date


class RowCheckInForm(CheckInForm):
    """The check-in form in a row of My check-ins, one per metric on the page; the page's
    template writes out its fields (templates/metrics/my_checkins.html, checkin_form)."""

    def __init__(self, data: Any = None, *, metric: Metric, today: date) -> None:
        super().__init__(
            data,
            metric=metric,
            today=today,
            # Each row's fields get their own ids: a page holds one form per metric.
            auto_id=f"checkin-{metric.uid.hex}-%s",
            label_suffix="",
            initial={"confidence": metric.latest_confidence or Confidence.ON_TRACK},
        )
        if metric.format == MetricFormat.YES_NO:
            # No answer is chosen for them: a quick tap must not record a "Yes" nobody meant.
            value = self.fields["value"].widget
            assert isinstance(value, forms.Select)
            value.choices = [("", "Yes or no?"), ("1", "Yes"), ("0", "No")]

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
