"""A real Celery worker, over real Redis and PostgreSQL, delivers a webhook to a real
local HTTP server: signed, tried again after the server's 500, and sent once."""

import base64
import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from core import events
from integrations.models import SendState, WebhookDelivery, WebhookEndpoint
from metrics.services import checkin_record
from tests.conftest import require_service
from tests.factories import MetricFactory, MissionFactory
from tests.integration.machinery import celery_env, start_worker, stop, wait_for
from tests.integrations.conftest import receiver  # noqa: F401 -- the fixture


@pytest.fixture
def worker(transactional_db, shared_broker):
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    require_service(postgres, "PostgreSQL (the worker needs the test database)")
    env = celery_env(
        redis_url=shared_broker,
        smtp_port=1,
        SITE_URL="https://waymark.example",
        INTEGRATIONS_ALLOW_PRIVATE_URLS="1",
        WEBHOOK_RETRY_BASE_SECONDS="1",
    )
    process = start_worker(env, "hooks")
    celery_app.conf.task_always_eager = False
    yield process
    stop([process])


def signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}"
    digest = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    return headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


def test_a_worker_delivers_a_webhook_again_after_a_500_and_once(cast, receiver, worker):  # noqa: F811
    endpoint = WebhookEndpoint.objects.create(
        organisation=cast.org,
        url=receiver.url + "/hook",
        events=[events.CHECKIN_RECORDED],
        created_by=cast.admin,
    )
    metric = MetricFactory(goal__mission=MissionFactory(organisation=cast.org))
    receiver.statuses = [500]

    checkin_record(  # commits: the event is heard, the delivery enqueued over Redis
        metric,
        value=Decimal("7"),
        for_date=timezone.localdate(),
        author=cast.admin,
        confidence="on_track",
    )

    assert wait_for(lambda: len(receiver.posts()) >= 2, seconds=60), receiver.posts()
    assert wait_for(
        lambda: WebhookDelivery.objects.filter(state=SendState.SENT).exists(), seconds=10
    )
    time.sleep(3)  # anything sent twice would have arrived by now
    first, second = receiver.posts()
    headers = [{k.lower(): v for k, v in p.headers.items()} for p in (first, second)]
    assert headers[0]["webhook-id"] == headers[1]["webhook-id"]
    assert all(
        signed_by(endpoint.secret, h, p.body) for h, p in zip(headers, (first, second), strict=True)
    )
    assert json.loads(second.body)["type"] == "checkin.recorded"
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [500, 200]
