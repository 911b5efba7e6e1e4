"""The forms admins set integrations up with. Every address is checked where it leads
(integrations.outbound) before it is saved."""

from typing import Any

from django import forms

from core.events import EVENTS
from integrations import outbound
from integrations.feeds import selector_problem
from integrations.models import Channel, MetricFeed, WebhookEndpoint
from missions.models import Mission
from orgs.models import Organisation, Team


def _checked_url(url: str) -> str:
    refusal = outbound.url_refusal(url)
    if refusal:
        raise forms.ValidationError(refusal)
    return url


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENTS],
        widget=forms.CheckboxSelectMultiple,
        help_text="Waymark posts each of these to the address, signed with its secret.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "events", "is_active")
        labels = {"is_active": "Send to this address"}

    def clean_url(self) -> str:
        return _checked_url(self.cleaned_data["url"])


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = (
            "kind",
            "name",
            "url",
            "team",
            "mission",
            "send_reminders",
            "send_digest",
            "send_status_changes",
            "send_reports",
            "is_active",
        )
        labels = {"kind": "Chat tool", "is_active": "Post to this channel"}
        help_texts = {
            "url": "The address of the channel's incoming webhook, from Slack or Teams.",
            "team": "Only this team's missions. Leave both empty for the whole organisation.",
            "mission": "Only this mission.",
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        mission = self.fields["mission"]
        assert isinstance(team, forms.ModelChoiceField)
        assert isinstance(mission, forms.ModelChoiceField)
        team.queryset = Team.objects.filter(organisation=organisation)
        mission.queryset = Mission.objects.filter(organisation=organisation).live()

    def clean_url(self) -> str:
        return _checked_url(self.cleaned_data["url"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("team") and data.get("mission"):
            self.add_error("mission", "Choose a team or a mission, not both.")
        return data


class FeedForm(forms.ModelForm):
    class Meta:
        model = MetricFeed
        fields = ("url", "format", "selector", "is_active")
        labels = {"is_active": "Update this metric from the address"}

    def clean_url(self) -> str:
        return _checked_url(self.cleaned_data["url"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = selector_problem(data.get("format", ""), data.get("selector", ""))
        if problem and "selector" not in self.errors:
            self.add_error("selector", problem)
        return data
