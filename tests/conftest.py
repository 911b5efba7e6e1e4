"""The cast every test can use, and the rule that required services must be there.

CI sets WAYMARK_REQUIRE_SERVICES=1: then PostgreSQL, Redis and Chromium must be
reachable, and a missing one fails the run instead of skipping tests.
"""

import fcntl
import hashlib
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import hypothesis
import pytest
import redis
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

from orgs.models import Membership, Organisation, User
from orgs.roles import Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

# Speed is measured by `make bench`, not by timed tests: Hypothesis's per-example deadline
# and its too-slow check fail examples when the machine is busy, not when the code is wrong.
hypothesis.settings.register_profile(
    "waymark",
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
hypothesis.settings.load_profile("waymark")


# The live server of an in-memory SQLite test database lends the test's one connection to
# every request thread (Django's LiveServerThread). Two requests at once, as a browser
# loading a page's charts makes, then use it together and read each other's results (a
# chart answered 404) or fail ("bad parameter or other API misuse"). There it serves one
# request at a time, closing each HTTP connection after its answer (Django's
# single-threaded server), so no request waits behind a browser's idle one.
class OneRequestAtATime(WSGIServer):
    def __init__(self, *args, connections_override=None, **kwargs):
        # The live server's thread has taken the test's connection already.
        super().__init__(*args, **kwargs)


_test_database = settings.DATABASES["default"]
if _test_database["ENGINE"].endswith("sqlite3") and not _test_database.get("TEST", {}).get("NAME"):
    LiveServerThread.server_class = OneRequestAtATime

SERVICES_REQUIRED = os.environ.get("WAYMARK_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    if not SERVICES_REQUIRED:
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL or not _reachable(settings.REDIS_URL):
        problems.append(f"Redis is not reachable at REDIS_URL={settings.REDIS_URL!r}")
    if not shutil.which(CHROMIUM):
        problems.append(f"Chromium is not installed at {CHROMIUM}")
    if problems:
        raise pytest.UsageError("Required services are missing: " + "; ".join(problems))


def server_error(response) -> bool:
    """A 5xx that is a fault. /readyz's 503 is its answer, not one: "not ready" (with Redis
    here and no worker running, no heartbeat has been stamped)."""
    if response.status_code == 503 and response.request["PATH_INFO"] == "/readyz":
        return False
    return response.status_code >= 500


def require_service(available: bool, what: str) -> None:
    """Skip locally when a service is missing; in CI a missing service is a failure."""
    if available:
        return
    if SERVICES_REQUIRED:
        pytest.fail(f"{what} is required (WAYMARK_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} is not available")


@pytest.fixture
def shared_broker() -> Iterator[str]:
    """REDIS_URL, as the broker of the Celery workers a test starts, to itself until they
    stop. Its queue is one list, so another test's workers (another pytest-xdist process,
    or another run against the same Redis) would take this test's tasks and run them
    against their own test database: such tests take turns, on a lock named for the URL."""
    require_service(bool(settings.REDIS_URL), "Redis")
    # The queue is in the broker's database (CELERY_BROKER_URL, beside REDIS_URL's).
    name = hashlib.sha256(settings.CELERY_BROKER_URL.encode()).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"waymark-broker-{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        # Nothing stale from runs before: queued or unacknowledged messages.
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
            "celery", "unacked", "unacked_index", "unacked_mutex"
        )
        yield settings.REDIS_URL


@dataclass
class Cast:
    org: Organisation
    owner: User
    admin: User
    member: User
    viewer: User
    outsider: User
    other_org: Organisation

    def membership(self, user: User) -> Membership:
        return Membership.objects.get(organisation=self.org, user=user)


def make_cast() -> Cast:
    org = OrganisationFactory(name="Acme Missions", slug="acme")
    people = {}
    for role in (Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER):
        people[role] = UserFactory(email=f"{role}@acme.example", name=f"Acme {role.label}")
        MembershipFactory(organisation=org, user=people[role], role=role)
    other_org = OrganisationFactory(name="Other Co", slug="other-co")
    outsider = UserFactory(email="outsider@other.example", name="Olive Outsider")
    MembershipFactory(organisation=other_org, user=outsider, role=Role.OWNER)
    return Cast(
        org=org,
        owner=people[Role.OWNER],
        admin=people[Role.ADMIN],
        member=people[Role.MEMBER],
        viewer=people[Role.VIEWER],
        outsider=outsider,
        other_org=other_org,
    )


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def celery_in_process():
    """Unit tests run tasks in process; the integration tests use a real worker instead."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def login(client):
    def log_in(user: User):
        client.force_login(user)
        return client

    return log_in


@pytest.fixture(autouse=True)
def own_media(settings, tmp_path_factory):
    """Stored files (reports' PDFs) in a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Each test gets a cache of its own: ids repeat between tests, cached pages must not."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def uncached(settings):
    """No page cache: for query counts, which must measure the real work."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
