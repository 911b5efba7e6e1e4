"""Outgoing webhooks, received by a real local HTTP server: signed, retried after a
failure, sent once, and an endpoint that keeps failing is disabled."""

import base64
import hashlib
import hmac
import json
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core import events
from integrations import outbound, tasks, webhooks
from integrations.models import SendState, WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.receivers import event_heard
from metrics.services import checkin_record
from tests.factories import MetricFactory, MissionFactory


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiving side of the Standard Webhooks spec, written from the spec alone."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = headers["webhook-id"] + "." + headers["webhook-timestamp"] + "." + body.decode()
    expected = base64.b64encode(hmac.new(key, content.encode(), hashlib.sha256).digest())
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ")]
    fresh = abs(time.time() - int(headers["webhook-timestamp"])) < 300
    return fresh and any(hmac.compare_digest(expected.decode(), s) for s in offered)


@pytest.fixture
def metric(cast):
    mission = MissionFactory(organisation=cast.org, owner=cast.owner)
    return MetricFactory(goal__mission=mission, owner=cast.member)


def endpoint_for(cast, url: str, *names: str) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organisation=cast.org,
        url=url + "/hook",
        events=list(names) or [events.CHECKIN_RECORDED],
        created_by=cast.admin,
    )


def record(metric, captured, value: str = "42", on: date | None = None):
    with captured(execute=True):
        return checkin_record(
            metric,
            value=Decimal(value),
            for_date=on or timezone.localdate(),
            author=metric.owner,
            confidence="on_track",
        )


def headers_of(request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def test_a_checkin_reaches_the_endpoint_signed(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(cast, receiver.url)
    checkin = record(metric, django_capture_on_commit_callbacks)

    [request] = receiver.posts()
    headers = headers_of(request)
    assert request.path == "/hook"
    assert verify(endpoint.secret, headers, request.body)
    document = json.loads(request.body)
    assert document["type"] == "checkin.recorded"
    assert document["data"]["checkin"]["uid"] == str(checkin.uid)
    assert document["data"]["checkin"]["value"] == "42"
    assert document["data"]["metric"]["name"] == metric.name
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == SendState.SENT
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 200 and attempt.number == 1


def test_a_signature_made_with_another_secret_does_not_verify(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    endpoint_for(cast, receiver.url)
    record(metric, django_capture_on_commit_callbacks)
    [request] = receiver.posts()
    other = WebhookEndpoint(secret="whsec_" + base64.b64encode(b"x" * 32).decode())
    assert not verify(other.secret, headers_of(request), request.body)
    tampered = request.body.replace(b"42", b"43")
    assert not verify(WebhookEndpoint.objects.get().secret, headers_of(request), tampered)


def test_a_failed_delivery_is_tried_again_after_its_wait_with_the_same_id(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(cast, receiver.url)
    receiver.statuses = [500]
    record(metric, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.state == SendState.FAILED
    assert len(receiver.posts()) == 1
    # Not due yet: the sweep leaves it.
    tasks.sweep_integrations()
    assert len(receiver.posts()) == 1

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        tasks.sweep_integrations()
    first, second = receiver.posts()
    assert headers_of(first)["webhook-id"] == headers_of(second)["webhook-id"]
    assert verify(endpoint.secret, headers_of(second), second.body)
    delivery.refresh_from_db()
    assert delivery.state == SendState.SENT and delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [500, 200]


def test_nothing_is_sent_twice_for_one_event(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    endpoint_for(cast, receiver.url)
    record(metric, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    event = WebhookEvent.objects.get()

    # The task delivered twice, the sweep, and the same event heard again.
    tasks.send_webhook(delivery.pk)
    tasks.sweep_integrations()
    event_heard(
        sender=event.name,
        uid=event.uid,
        organisation_id=cast.org.pk,
        name=event.name,
        payload=event.payload,
        at=event.happened_at,
    )
    assert len(receiver.posts()) == 1
    assert WebhookDelivery.objects.count() == 1


def test_an_endpoint_hears_only_the_events_it_chose(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    endpoint_for(cast, receiver.url, events.REPORT_PUBLISHED)
    record(metric, django_capture_on_commit_callbacks)
    assert receiver.posts() == []
    assert not WebhookEvent.objects.exists()


def test_another_organisations_endpoint_hears_nothing(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(
        organisation=cast.other_org, url=receiver.url, events=[events.CHECKIN_RECORDED]
    )
    record(metric, django_capture_on_commit_callbacks)
    assert receiver.posts() == []


def test_private_addresses_are_refused_when_the_setting_is_off(
    cast, metric, receiver, settings, django_capture_on_commit_callbacks
):
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = False
    endpoint_for(cast, receiver.url)  # saved before the rule, say
    record(metric, django_capture_on_commit_callbacks)

    assert receiver.requests == []
    [attempt] = WebhookDelivery.objects.get().attempt_log.all()
    assert attempt.status_code is None
    assert "private or local network" in attempt.error
    for address in (
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
        "http://192.168.0.1/",
        "http://100.64.0.1/",
    ):
        assert outbound.url_refusal(address), address
        with pytest.raises(outbound.RefusedAddress):
            outbound.request("GET", address)
    assert outbound.url_refusal("ftp://example.com/") is not None
    assert outbound.url_refusal("http://user:pw@example.com/") is not None


def test_the_form_refuses_a_private_address(cast, login, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = False
    client = login(cast.admin)
    response = client.post(
        reverse("integrations:endpoint_add", args=[cast.org.slug]),
        {"url": "http://127.0.0.1:9/hook", "events": [events.CHECKIN_RECORDED]},
    )
    assert response.status_code == 400
    assert "private or local network" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_adds_an_endpoint_and_sees_its_secret(cast, login, receiver, local_addresses):
    client = login(cast.admin)
    response = client.post(
        reverse("integrations:endpoint_add", args=[cast.org.slug]),
        {"url": receiver.url + "/hook", "events": [events.CHECKIN_RECORDED], "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert endpoint.organisation == cast.org and endpoint.created_by == cast.admin
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and endpoint.secret.startswith("whsec_")


def test_send_again_makes_a_new_attempt_of_the_same_delivery(
    cast, metric, receiver, local_addresses, login, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(cast, receiver.url)
    record(metric, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    client = login(cast.admin)
    url = reverse("integrations:delivery_resend", args=[cast.org.slug, endpoint.uid, delivery.uid])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    first, second = receiver.posts()
    assert headers_of(first)["webhook-id"] == headers_of(second)["webhook-id"]
    assert delivery.attempt_log.count() == 2
    page = client.get(reverse("integrations:endpoint", args=[cast.org.slug, endpoint.uid]))
    assert page.content.decode().count("HTTP 200") == 2


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told(
    cast, metric, receiver, local_addresses, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = endpoint_for(cast, receiver.url)
    receiver.statuses = [500] * 20
    start = timezone.now()
    record(metric, django_capture_on_commit_callbacks)
    for hours in (1, 2, 5, 12, 20):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            tasks.sweep_integrations()
    endpoint.refresh_from_db()
    assert endpoint.is_active  # failing, but for less than a day
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        record(metric, django_capture_on_commit_callbacks, value="43")
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert endpoint.consecutive_failures >= 3
    [email] = mail.outbox
    assert email.to == [cast.admin.email]
    assert endpoint.url in email.body
    # Disabled: nothing more is sent, and the owner is not told again.
    sent = len(receiver.posts())
    with time_machine.travel(start + timedelta(hours=30), tick=False):
        tasks.sweep_integrations()
    assert len(receiver.posts()) == sent
    assert len(mail.outbox) == 1


def test_a_success_ends_a_run_of_failures(
    cast, metric, receiver, local_addresses, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(cast, receiver.url)
    receiver.statuses = [500]
    record(metric, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.failing_since is not None
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        tasks.sweep_integrations()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.failing_since is None


def test_back_off_grows_fourfold(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 240, 960]
