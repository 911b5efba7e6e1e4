"""Integration settings: admins manage webhook endpoints (and see and resend their
deliveries) and chat channels; whoever may edit a mission sets up its metrics' feeds."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.enqueue import enqueue_on_commit
from integrations import tasks, webhooks
from integrations.forms import ChannelForm, EndpointForm, FeedForm
from integrations.models import (
    Channel,
    DeliveryAttempt,
    MetricFeed,
    WebhookDelivery,
    WebhookEndpoint,
)
from metrics.access import get_metric_for_user
from orgs.access import get_org_for_user
from orgs.models import Organisation, User
from orgs.roles import Role

# Deliveries an endpoint's page lists, newest first.
DELIVERIES_SHOWN = 50


def _index(org: Organisation) -> str:
    return reverse("integrations:index", args=[org.slug])


@login_required
@require_GET
def integrations_index(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    context = {
        "org": org,
        "membership": membership,
        "endpoints": WebhookEndpoint.objects.filter(organisation=org),
        "channels": Channel.objects.filter(organisation=org).select_related("team", "mission"),
        "feeds": MetricFeed.objects.filter(metric__mission__organisation=org).select_related(
            "metric__mission"
        ),
    }
    return render(request, "integrations/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_add(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        endpoint.organisation = org
        endpoint.created_by = request.user if isinstance(request.user, User) else None
        endpoint.save()
        messages.success(request, "Endpoint added. Its signing secret is on this page.")
        return redirect("integrations:endpoint", org.slug, endpoint.uid)
    return render(
        request,
        "integrations/endpoint_form.html",
        {"org": org, "membership": membership, "form": form},
        status=400 if form.errors else 200,
    )


def _endpoint(org: Organisation, endpoint_uid: UUID) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(organisation=org, uid=endpoint_uid).first()
    if endpoint is None:
        raise Http404
    return endpoint


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, org_slug: str, endpoint_uid: UUID) -> HttpResponse:
    """The endpoint's settings, its secret, and its latest deliveries with each attempt."""
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    endpoint = _endpoint(org, endpoint_uid)
    was_active = endpoint.is_active
    form = EndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        if endpoint.is_active and not was_active:  # enabled again: a fresh start
            endpoint.consecutive_failures, endpoint.failing_since = 0, None
            endpoint.disabled_at, endpoint.disabled_reason = None, ""
        endpoint.save()
        messages.success(request, "Endpoint saved.")
        return redirect("integrations:endpoint", org.slug, endpoint.uid)
    deliveries = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.all()))
        .order_by("-created_at", "-pk")[:DELIVERIES_SHOWN]
    )
    return render(
        request,
        "integrations/endpoint.html",
        {
            "org": org,
            "membership": membership,
            "endpoint": endpoint,
            "form": form,
            "deliveries": deliveries,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def endpoint_remove(request: HttpRequest, org_slug: str, endpoint_uid: UUID) -> HttpResponse:
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    endpoint = _endpoint(org, endpoint_uid)
    endpoint.delete()
    messages.success(request, f"Waymark no longer sends to {endpoint.url}.")
    return redirect(_index(org))


@login_required
@require_POST
def delivery_resend(
    request: HttpRequest, org_slug: str, endpoint_uid: UUID, delivery_uid: UUID
) -> HttpResponse:
    """Send a delivery again, as a new attempt with the same webhook-id."""
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    endpoint = _endpoint(org, endpoint_uid)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint, uid=delivery_uid).first()
    if delivery is None:
        raise Http404
    if not endpoint.is_active:
        messages.error(request, "Turn the endpoint back on before sending again.")
    elif webhooks.webhook_delivery_resend(delivery):
        enqueue_on_commit(tasks.send_webhook, delivery.pk)
        messages.success(request, "Sending it again. The attempt shows below once it is made.")
    else:
        messages.error(request, "It is being sent right now; look again in a moment.")
    return redirect("integrations:endpoint", org.slug, endpoint.uid)


@login_required
@require_http_methods(["GET", "POST"])
def channel_add(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    form = ChannelForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        channel = form.save(commit=False)
        channel.organisation = org
        channel.created_by = request.user if isinstance(request.user, User) else None
        channel.save()
        messages.success(request, f"Channel “{channel.name}” added.")
        return redirect(_index(org))
    return render(
        request,
        "integrations/channel_form.html",
        {"org": org, "membership": membership, "form": form},
        status=400 if form.errors else 200,
    )


def _channel(org: Organisation, channel_uid: UUID) -> Channel:
    channel = Channel.objects.filter(organisation=org, uid=channel_uid).first()
    if channel is None:
        raise Http404
    return channel


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, org_slug: str, channel_uid: UUID) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    channel = _channel(org, channel_uid)
    form = ChannelForm(request.POST or None, instance=channel, organisation=org)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Channel “{channel.name}” saved.")
        return redirect(_index(org))
    posts = channel.posts.order_by("-created_at", "-pk")[:DELIVERIES_SHOWN]
    return render(
        request,
        "integrations/channel_form.html",
        {"org": org, "membership": membership, "form": form, "channel": channel, "posts": posts},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def channel_remove(request: HttpRequest, org_slug: str, channel_uid: UUID) -> HttpResponse:
    org, _ = get_org_for_user(request, org_slug, min_role=Role.ADMIN)
    channel = _channel(org, channel_uid)
    channel.delete()
    messages.success(request, f"Waymark no longer posts to “{channel.name}”.")
    return redirect(_index(org))


@login_required
@require_http_methods(["GET", "POST"])
def feed_edit(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: UUID
) -> HttpResponse:
    """Where the metric takes its value from, and how its last fetch went."""
    org, membership, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, metric_uid, edit=True
    )
    feed = MetricFeed.objects.filter(metric=metric).first()
    form = FeedForm(request.POST or None, instance=feed)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.metric = metric
        if feed is None:
            saved.created_by = request.user if isinstance(request.user, User) else None
        # A changed address is fetched at once, with a clean slate.
        saved.next_run_at, saved.last_error, saved.failure_told_at = timezone.now(), "", None
        saved.save()
        if saved.is_active:
            enqueue_on_commit(tasks.run_feed, saved.pk)
        messages.success(request, "Saved. Waymark fetches the value now, then on its cadence.")
        return redirect("integrations:feed", org.slug, mission.slug, metric.uid)
    return render(
        request,
        "integrations/feed.html",
        {
            "org": org,
            "membership": membership,
            "mission": mission,
            "metric": metric,
            "feed": feed,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def feed_run_now(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: UUID
) -> HttpResponse:
    org, _, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, metric_uid, edit=True
    )
    feed = MetricFeed.objects.filter(metric=metric, is_active=True).first()
    if feed is None:
        raise Http404
    MetricFeed.objects.filter(pk=feed.pk).update(next_run_at=timezone.now())
    enqueue_on_commit(tasks.run_feed, feed.pk)
    messages.success(request, "Fetching the value now.")
    return redirect("integrations:feed", org.slug, mission.slug, metric.uid)


@login_required
@require_POST
def feed_remove(
    request: HttpRequest, org_slug: str, mission_slug: str, metric_uid: UUID
) -> HttpResponse:
    org, _, mission, metric = get_metric_for_user(
        request, org_slug, mission_slug, metric_uid, edit=True
    )
    MetricFeed.objects.filter(metric=metric).delete()
    messages.success(request, "The metric no longer updates itself; its readings stay.")
    return redirect("metrics:detail", org.slug, mission.slug, metric.uid)
