"""Redis stopped under a running app: a redis-server of the test's own serves as the cache
and the Celery broker, then is killed. Pages (share and public pages included) still
render and saves still succeed, quickly: a dead Redis costs milliseconds, not seconds."""

import time
from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from metrics.models import CheckIn
from missions.models import Mission, ShareLink, ShareTarget, Visibility
from orgs.models import Invitation
from tests.conftest import require_service
from tests.factories import MetricFactory, MissionFactory
from tests.integration.machinery import RedisServer, broker

# Generous for a loaded CI machine; with Celery's and redis-py's default retries a save
# that enqueues takes several seconds.
FAST = 1.5

MISSION = {
    "title": "Net zero by 2030",
    "purpose": "Cut our emissions to net zero.",
    "problem": "Our ovens and vans burn gas and diesel.",
    "beneficiaries": "Our neighbours.",
    "end_state": "By 2030, every loaf is baked without fossil fuel.",
    "starts_on": "2026-01-01",
    "ends_on": "2030-12-31",
    "owner": "owner@acme.example",
    "status": "active",
    "visibility": "shareable",
    "version": "1",  # the optimistic check: the mission as created
}


@pytest.fixture
def redis_server(transactional_db, settings):
    """Transactional: the save's enqueue runs at commit, against the dead broker."""
    require_service(RedisServer.available(), "redis-server (a Redis of the test's own)")
    server = RedisServer()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FaultTolerantRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "waymark",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
    with broker(server.url):
        yield server
    server.kill()


@pytest.fixture
def shared(cast):
    cast.org.public_page = True
    cast.org.save()
    mission = MissionFactory(
        organisation=cast.org,
        title="Net zero",
        slug="net-zero",
        owner=cast.owner,
        visibility=Visibility.SHAREABLE,
    )
    metric = MetricFactory(goal__mission=mission, name="Tonnes of CO2", owner=cast.member)
    link = ShareLink.objects.create(
        organisation=cast.org, target=ShareTarget.MISSION, mission=mission
    )
    return mission, metric, link


def timed(call):
    began = time.monotonic()
    response = call()
    return response, time.monotonic() - began


def test_with_redis_killed_pages_render_and_saves_succeed_fast(
    cast, client, redis_server, shared, caplog
):
    mission, metric, link = shared
    share = reverse("share_page", args=[link.token])
    public = reverse("public_page", args=["acme"])
    client.force_login(cast.owner)
    assert client.get(share).status_code == 200
    # A web process that has been running: it has cached pages and published tasks.
    invite = reverse("orgs:member_invite", args=["acme"])
    assert client.post(invite, {"email": "first@acme.example", "role": "member"}).status_code == 302
    up = redis.Redis.from_url(redis_server.url)
    assert up.keys("waymark:*"), "the page was not cached"
    assert up.llen("celery") == 1, "the invitation was not queued"

    redis_server.kill()

    took = {}
    pages = {
        "dashboard": reverse("reporting:dashboard", args=["acme"]),
        "mission page": reverse("reporting:mission", args=["acme", "net-zero"]),
        "share page": share,
        "public page": public,
    }
    for name, url in pages.items():
        response, took[name] = timed(lambda url=url: client.get(url))
        assert response.status_code == 200, name
    assert "Net zero" in client.get(share).text

    saves = {
        "check-in": (
            reverse("metrics:check_in", args=["acme", "net-zero", metric.uid]),
            {"value": "22", "confidence": "on_track", "for_date": timezone.localdate()},
        ),
        "mission edit": (reverse("missions:edit", args=["acme", "net-zero"]), MISSION),
        "invitation": (invite, {"email": "new@acme.example", "role": "member"}),
    }
    for name, (url, data) in saves.items():
        response, took[name] = timed(lambda url=url, data=data: client.post(url, data))
        assert response.status_code == 302, (name, response.status_code)

    assert CheckIn.objects.filter(metric=metric, value=22).exists()
    assert Mission.objects.get(pk=mission.pk).title == "Net zero by 2030"
    invitation = Invitation.objects.get(email="new@acme.example")
    assert invitation.sent_at is None  # not sent yet: the sweep will find it
    assert "Could not enqueue orgs.tasks.send_invitation_email" in caplog.text
    # Every cache call was a quiet miss: nothing fell through to the pages' own guards.
    assert "share page cache is unavailable" not in caplog.text
    assert caplog.text.count("The cache (Redis) is unreachable") == 1
    slow = {name: round(seconds, 2) for name, seconds in took.items() if seconds > FAST}
    assert not slow, f"slow with Redis down: {slow} (all: {took})"
    # Still up to date once Redis is gone: the edit shows on the share page.
    assert "Net zero by 2030" in client.get(share).text
    assert timezone.now() - invitation.created_at < timedelta(minutes=1)


def test_the_cache_misses_quietly_while_redis_is_down_and_logs_it_once(redis_server, caplog):
    from django.core.cache import cache

    cache.set("page", "<html>", 60)
    assert cache.get("page") == "<html>"
    redis_server.kill()

    began = time.monotonic()
    assert cache.get("page") is None
    assert cache.get("page", "default") == "default"
    assert cache.add("version", 1) is False
    cache.set("page", "<html>", 60)
    assert cache.get_many(["page"]) == {}
    with pytest.raises(ValueError, match="not found"):
        cache.incr("version")
    assert cache.delete("page") is False
    assert time.monotonic() - began < FAST
    assert caplog.text.count("The cache (Redis) is unreachable") == 1
