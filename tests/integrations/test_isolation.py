"""One organisation's admins never see or change another's endpoints, deliveries,
channels or feeds, even with their addresses under their own organisation's slug."""

import pytest
from django.urls import reverse

from integrations.models import (
    Channel,
    MetricFeed,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tests.factories import MetricFactory, MissionFactory


@pytest.fixture
def acme(cast):
    endpoint = WebhookEndpoint.objects.create(
        organisation=cast.org, url="https://hooks.example/a", events=["checkin.recorded"]
    )
    event = WebhookEvent.objects.create(
        uid="00000000-0000-4000-8000-0000000000aa",
        organisation=cast.org,
        name="checkin.recorded",
        payload={},
        happened_at="2026-01-01T00:00:00Z",
    )
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, state="sent")
    channel = Channel.objects.create(
        organisation=cast.org, kind="slack", name="#acme", url="https://hooks.example/c"
    )
    mission = MissionFactory(organisation=cast.org, owner=cast.owner)
    metric = MetricFactory(goal__mission=mission)
    MetricFeed.objects.create(metric=metric, url="https://x.example/a.csv", selector="B2")
    return endpoint, delivery, channel, metric


def test_another_organisations_owner_gets_404_under_their_own_slug(cast, acme, login):
    endpoint, delivery, channel, metric = acme
    other = cast.other_org.slug
    client = login(cast.outsider)
    mission = metric.mission
    for name, args, method in (
        ("integrations:endpoint", [other, endpoint.uid], "get"),
        ("integrations:endpoint", [other, endpoint.uid], "post"),
        ("integrations:endpoint_remove", [other, endpoint.uid], "post"),
        ("integrations:delivery_resend", [other, endpoint.uid, delivery.uid], "post"),
        ("integrations:channel", [other, channel.uid], "get"),
        ("integrations:channel_remove", [other, channel.uid], "post"),
        ("integrations:feed", [other, mission.slug, metric.uid], "get"),
        ("integrations:feed_run", [other, mission.slug, metric.uid], "post"),
        ("integrations:feed_remove", [other, mission.slug, metric.uid], "post"),
    ):
        response = getattr(client, method)(reverse(name, args=args), {"url": "https://e.example"})
        assert response.status_code == 404, (name, method)
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, url="https://hooks.example/a").exists()
    assert Channel.objects.filter(pk=channel.pk).exists()
    assert MetricFeed.objects.filter(metric=metric).exists()
    delivery.refresh_from_db()
    assert delivery.state == "sent"


def test_a_delivery_cannot_be_resent_through_another_endpoint(cast, acme, login):
    _, delivery, _, _ = acme
    theirs = WebhookEndpoint.objects.create(
        organisation=cast.other_org, url="https://hooks.example/o", events=["checkin.recorded"]
    )
    url = reverse(
        "integrations:delivery_resend", args=[cast.other_org.slug, theirs.uid, delivery.uid]
    )
    assert login(cast.outsider).post(url).status_code == 404
    delivery.refresh_from_db()
    assert delivery.state == "sent"


def test_the_integrations_page_lists_only_the_organisations_own(cast, acme, login):
    WebhookEndpoint.objects.create(
        organisation=cast.other_org, url="https://theirs.example/hook", events=[]
    )
    Channel.objects.create(
        organisation=cast.other_org, kind="teams", name="#theirs", url="https://t.example/"
    )
    page = login(cast.admin).get(reverse("integrations:index", args=[cast.org.slug]))
    text = page.content.decode()
    assert "https://hooks.example/a" in text and "#acme" in text
    assert "theirs" not in text


def test_members_and_viewers_cannot_open_the_integrations_page(cast, login):
    url = reverse("integrations:index", args=[cast.org.slug])
    assert login(cast.member).get(url).status_code == 403
    assert login(cast.viewer).get(url).status_code == 403
