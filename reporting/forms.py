"""The forms of reports and share links."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Count, Q
from django.utils import timezone

from core import dates
from core.dates import MONTH_NAMES
from core.text import CleanTextField
from missions.forms import DateInput
from missions.models import Mission, MissionStatus, Report, ShareLink, ShareTarget, Visibility
from orgs.models import Organisation
from reporting.reports import month_period, period_label, quarter_period

MONTHS_OFFERED = 13  # this month and the twelve before it
QUARTERS_OFFERED = 6


def _months(today: date) -> list[tuple[str, str]]:
    choices = []
    year, month = today.year, today.month
    for _ in range(MONTHS_OFFERED):
        choices.append((f"{year}-{month:02d}", f"{MONTH_NAMES[month - 1]} {year}"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return choices


def _quarters(today: date) -> list[tuple[str, str]]:
    choices = []
    year, quarter = today.year, (today.month + 2) // 3
    for _ in range(QUARTERS_OFFERED):
        first, last = MONTH_NAMES[3 * quarter - 3][:3], MONTH_NAMES[3 * quarter - 1][:3]
        choices.append((f"{year}-Q{quarter}", f"Q{quarter} {year} ({first}–{last})"))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return choices


def _initial_for(report: Report, today: date) -> dict[str, Any]:
    start, end = report.period_start, report.period_end
    initial: dict[str, Any] = {
        "title": report.title,
        "narrative": report.narrative,
        "missions": list(report.missions.values_list("slug", flat=True)),
        "period": "custom",
        "period_start": start,
        "period_end": end,
        "month": f"{today.year}-{today.month:02d}",
        "quarter": _quarters(today)[0][0],
    }
    month = f"{start.year}-{start.month:02d}"
    quarter = f"{start.year}-Q{(start.month + 2) // 3}"
    if (start, end) == month_period(start.year, start.month) and month in dict(_months(today)):
        initial |= {"period": "month", "month": month}
    elif (start, end) == quarter_period(start.year, (start.month + 2) // 3) and quarter in dict(
        _quarters(today)
    ):
        initial |= {"period": "quarter", "quarter": quarter}
    return initial


# ---- Finding a report ---------------------------------------------------------------------


class MissionChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        assert isinstance(obj, Mission)
        if obj.visibility == Visibility.PRIVATE:
            return f"{obj.title} (private)"
        if obj.visibility == Visibility.ORGANISATION:
            return f"{obj.title} (organisation only: the report can’t be shared with it in)"
        return obj.title


class ReportForm(forms.Form):
    """A report's title, period, missions and narrative. The period is a month, a quarter
    or any dates; the stylesheet shows only the fields of the chosen kind."""

    title = CleanTextField(
        max_length=Report._meta.get_field("title").max_length,
        required=False,
        help_text=(
            "Leave it empty for “Progress report” and the period, e.g. “Progress report, Q1 2026”."
        ),
    )
    period = forms.ChoiceField(
        label="Period",
        choices=[("month", "A month"), ("quarter", "A quarter"), ("custom", "Other dates")],
        widget=forms.RadioSelect,
    )
    month = forms.ChoiceField(required=False)
    quarter = forms.ChoiceField(required=False)
    period_start = forms.DateField(label="From", required=False, widget=DateInput())
    period_end = forms.DateField(label="To", required=False, widget=DateInput())
    missions = MissionChoices(
        queryset=Mission.objects.none(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one mission for the report to cover."},
        help_text=(
            "Everyone in the organisation can read a published report, and so can anyone "
            "it is shared with. A report can be shared only if every mission in it is "
            "shareable with stakeholders."
        ),
    )
    narrative = CleanTextField(
        max_length=Report._meta.get_field("narrative").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=(
            "Highlights, risks and what you ask of stakeholders. Markdown: **bold**, *italic*, "
            "# headings, - lists, [links](https://…). Progress, charts, milestones and "
            "check-in comments are filled in for you."
        ),
    )

    def __init__(
        self, *args: Any, missions: Any, today: date, report: Report | None = None, **kw: Any
    ) -> None:
        if report is not None:
            kw.setdefault("initial", _initial_for(report, today))
        else:
            previous = today.replace(day=1) - timedelta(days=1)  # in last month
            kw.setdefault(
                "initial",
                {
                    "period": "month",
                    "month": f"{previous.year}-{previous.month:02d}",
                    "quarter": _quarters(today)[1][0],
                    # Active missions are what a report is usually about; one for the
                    # organisation only would keep it from being shared, so it is a choice
                    # made, never a default.
                    "missions": [
                        m.slug
                        for m in missions
                        if m.status == MissionStatus.ACTIVE and m.visibility == Visibility.SHAREABLE
                    ],
                },
            )
        super().__init__(*args, **kw)
        self.fields["missions"].queryset = missions  # type: ignore[attr-defined]
        self.fields["month"].choices = _months(today)  # type: ignore[attr-defined]
        self.fields["quarter"].choices = _quarters(today)  # type: ignore[attr-defined]
        dates.keep_within(self, {"period_start": dates.PLAN, "period_end": dates.PLAN})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("period")
        start = end = None
        if kind == "month":
            if not data.get("month"):
                self.add_error("month", "Choose a month.")
            else:
                year, month = data["month"].split("-")
                start, end = month_period(int(year), int(month))
        elif kind == "quarter":
            if not data.get("quarter"):
                self.add_error("quarter", "Choose a quarter.")
            else:
                year, quarter = data["quarter"].split("-Q")
                start, end = quarter_period(int(year), int(quarter))
        elif kind == "custom":
            start, end = data.get("period_start"), data.get("period_end")
            if start is None and "period_start" not in self.errors:
                self.add_error("period_start", "Give the first day of the period.")
            if end is None and "period_end" not in self.errors:
                self.add_error("period_end", "Give the last day of the period.")
            if start and end and end < start:
                self.add_error("period_end", "The period must end on or after the day it starts.")
                start = end = None
        if start and end:
            data["period_start"], data["period_end"] = start, end
            if not (data.get("title") or "").strip():
                data["title"] = f"Progress report, {period_label(start, end)}"
        return data

    def save(self, report: Report) -> Report:
        data = self.cleaned_data
        report.title = data["title"].strip()
        report.period_start, report.period_end = data["period_start"], data["period_end"]
        report.narrative = data["narrative"]
        report.save()
        report.missions.set(data["missions"])
        return report


class ShareLinkForm(forms.Form):
    label = CleanTextField(
        max_length=ShareLink._meta.get_field("label").max_length,
        required=False,
        help_text="Who it is for, so you know which link to revoke, e.g. “Suppliers’ newsletter”.",
    )
    expires_on = forms.DateField(
        label="Works until",
        required=False,
        widget=DateInput(),
        help_text="Optional. The link stops working after this day. Leave empty to keep it "
        "until you revoke it.",
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        dates.keep_within(self, {"expires_on": dates.ahead(timezone.localdate())})

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, in the organisation's time zone."""
        expires_on = self.cleaned_data["expires_on"]
        if expires_on is None:
            return None
        zone = self.organisation.zone()
        return datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=zone)


NOT_SHAREABLE = [value for value in Visibility.values if value != Visibility.SHAREABLE]


class OrganisationShareLinkForm(ShareLinkForm):
    ORGANISATION = "organisation"

    share = forms.ChoiceField(label="What to share")
    field_order = ("share", "label", "expires_on")

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        # A report about a mission that isn't shareable is for the organisation only: share
        # pages show shareable missions and nothing else.
        published = list(
            Report.objects.published()
            .filter(organisation=organisation)
            .annotate(unshared=Count("missions", filter=Q(missions__visibility__in=NOT_SHAREABLE)))
        )
        # Reports by uid: the page names no sequential id.
        self.reports = {str(r.uid): r for r in published if not r.unshared}
        self.kept_in = [r for r in published if r.unshared]
        share = self.fields["share"]
        assert isinstance(share, forms.ChoiceField)
        share.choices = [(self.ORGANISATION, "The organisation’s progress page")] + [
            (uid, f"Report: {report.title} (version {report.version})")
            for uid, report in self.reports.items()
        ]

    def target(self) -> tuple[str, Report | None]:
        chosen = self.cleaned_data["share"]
        if chosen == self.ORGANISATION:
            return ShareTarget.ORGANISATION, None
        return ShareTarget.REPORT, self.reports[chosen]
