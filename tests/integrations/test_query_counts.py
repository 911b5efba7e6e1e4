"""The integration and API-token pages make the same number of queries however many
endpoints, deliveries, channels, posts, feeds and tokens an organisation has."""

import uuid

from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from integrations.models import (
    Channel,
    ChannelPost,
    DeliveryAttempt,
    MetricFeed,
    SendState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tests.factories import MetricFactory, MissionFactory, TeamFactory
from tests.orgs.test_query_counts import queries_for


def grow(cast, endpoint, channel, n: int) -> None:
    """n more of everything the pages list, each with what its row names."""
    for _ in range(n):
        team = TeamFactory(organisation=cast.org)
        mission = MissionFactory(organisation=cast.org)
        WebhookEndpoint.objects.create(organisation=cast.org, url="https://hooks.example/")
        Channel.objects.create(
            organisation=cast.org, kind="slack", url="https://hooks.slack.example/", team=team
        )
        Channel.objects.create(
            organisation=cast.org, kind="teams", url="https://t.example/", mission=mission
        )
        MetricFeed.objects.create(
            metric=MetricFactory(goal__mission=mission), url="https://data.example/a.csv"
        )
        event = WebhookEvent.objects.create(
            uid=uuid.uuid4(),
            organisation=cast.org,
            name="checkin.recorded",
            payload={},
            happened_at=timezone.now(),
        )
        delivery = WebhookDelivery.objects.create(
            event=event, endpoint=endpoint, state=SendState.SENT
        )
        for number in (1, 2):
            DeliveryAttempt.objects.create(delivery=delivery, number=number, status_code=500)
        ChannelPost.objects.create(channel=channel, key=f"event:{event.uid}", body={})
        for owner in (cast.admin, cast.member):
            ApiToken.objects.create(organisation=cast.org, owner=owner, name="Sync")


def test_the_integration_and_token_pages_do_not_ask_once_per_row(cast, login):
    endpoint = WebhookEndpoint.objects.create(organisation=cast.org, url="https://a.example/")
    channel = Channel.objects.create(organisation=cast.org, kind="slack", url="https://s.example/")
    client = login(cast.admin)
    urls = [
        reverse("integrations:index", args=["acme"]),
        reverse("integrations:endpoint", args=["acme", endpoint.uid]),
        reverse("integrations:channel", args=["acme", channel.uid]),
        reverse("api_tokens:org", args=["acme"]),
        reverse("api_tokens:mine"),
    ]
    grow(cast, endpoint, channel, 2)
    before = [queries_for(client, url) for url in urls]

    grow(cast, endpoint, channel, 8)

    assert [queries_for(client, url) for url in urls] == before
