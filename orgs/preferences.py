"""Which emails a person gets and when; and the signed link that stops them, no login."""

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from orgs.models import TIME_ZONE_CHOICES, DigestFrequency, Membership, User, Weekday
from orgs.unsubscribe import subscription_for

logger = logging.getLogger(__name__)

HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


class EmailPreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = (
            "receive_reminders",
            "receive_digest",
            "digest_weekday",
            "reminder_hour",
            "time_zone",
        )
        widgets = {"reminder_hour": forms.Select(choices=HOUR_CHOICES)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        weekday = self.fields["digest_weekday"]
        zone = self.fields["time_zone"]
        assert isinstance(weekday, forms.TypedChoiceField) and isinstance(zone, forms.ChoiceField)
        weekday.choices = [("", "The first day of each organisation’s week"), *Weekday.choices]
        zone.choices = [("", "Each organisation’s time zone"), *TIME_ZONE_CHOICES]


@login_required
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = EmailPreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Email preferences saved.")
        return redirect("email_preferences")
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return render(
        request,
        "orgs/preferences.html",
        {"form": form, "memberships": memberships},
        status=400 if form.errors else 200,
    )


# The signed token is the authority here, not a session: mail clients' one-click
# unsubscribe (RFC 8058) POSTs without a CSRF token, and a forger would need the token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners follow links; they must not unsubscribe anyone); POST, from
    the page's button or the mail client's one-click, does it. An undo switches back."""
    try:
        subscription = subscription_for(token)
    except signing.BadSignature:
        logger.warning("Refused an unsubscribe link with a bad signature")
        return render(request, "orgs/unsubscribe_invalid.html", status=400)
    if subscription is None:
        return render(request, "orgs/unsubscribe.html", {"gone": True})
    context: dict[str, Any] = {"subscription": subscription, "topic": subscription.topic.label}
    if request.method == "POST":
        switch_on = request.POST.get("resubscribe") == "1"
        if subscription.stakeholder is not None:
            # Remembered on the page, so that an undo restores weekly or monthly.
            context["frequency"] = subscription.stakeholder.digest_frequency
        subscription.switch(
            on=switch_on, frequency=request.POST.get("frequency", DigestFrequency.MONTHLY)
        )
        logger.info(
            "%s %s for %s",
            "Resubscribed to" if switch_on else "Unsubscribed from",
            subscription.topic,
            subscription.email,
        )
        context["done"] = "resubscribed" if switch_on else "unsubscribed"
    context["is_on"] = subscription.is_on
    return render(request, "orgs/unsubscribe.html", context)
