"""The restore drill, as the README's backup section gives it: organisations in the database,
a pg_dump of it, pg_restore into a new database, granian serving that one, and every
organisation found there intact: every table's rows, each organisation's export (every
row it owns, as Settings → Export gives it) equal to the original's, and its pages showing
its missions and check-ins. The new database is dropped at the end."""

import io
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection
from django.test import Client

from metrics.services import checkin_record
from orgs.models import Organisation, User
from orgs.portability import JSON_NAME, organisation_export
from orgs.roles import Role
from tests.conftest import require_service
from tests.factories import (
    MembershipFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    OrganisationFactory,
    StakeholderLinkFactory,
    TeamFactory,
    UserFactory,
)
from tests.integration.machinery import ROOT, database_url, free_port, stop, wait_for

ORGANISATIONS = ("north-bakery", "south-dairy", "east-mill")


def seed(slug: str) -> tuple[Organisation, User]:
    """An organisation with people, a team, two missions, metrics with check-ins (one
    corrected), a milestone and a stakeholder: rows in every app."""
    org = OrganisationFactory(name=slug.replace("-", " ").title(), slug=slug)
    owner = UserFactory(email=f"owner@{slug}.example", name=f"Owner of {slug}")
    MembershipFactory(organisation=org, user=owner, role=Role.OWNER)
    member = UserFactory(email=f"member@{slug}.example")
    MembershipFactory(organisation=org, user=member, role=Role.MEMBER)
    TeamFactory(organisation=org, name=f"Team of {slug}")
    for n in (1, 2):
        mission = MissionFactory(organisation=org, title=f"{slug} mission {n}", owner=owner)
        MilestoneFactory(mission=mission, title=f"{slug} milestone {n}")
        StakeholderLinkFactory(mission=mission)
        metric = MetricFactory(goal__mission=mission, name=f"{slug} metric {n}", owner=member)
        for day, value in ((1, "12"), (8, "15"), (8, "16")):  # the last corrects the second
            checkin_record(
                metric,
                value=Decimal(value),
                for_date=date(2026, 3, day),
                author=member,
                confidence="on_track",
                note=f"{slug} reading {n}-{day}-{value}",
            )
    return org, owner


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            # The names come from the catalogue, not from input.
            table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]  # noqa: S608
            for table in tables
        }


def exported_objects(content: bytes) -> list[dict]:
    """The rows of an export, without the moment it was made."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return json.loads(archive.read(JSON_NAME))["objects"]


def dump_and_restore(tmp_path: Path) -> str:
    """pg_dump the test database, pg_restore it into a new one, as the README says: on
    PostgreSQL itself, never through PgBouncer; the new one's URL there."""
    source = database_url(direct=True)
    server, name = source.rsplit("/", 1)
    copy = f"{name}_restored"
    dump = tmp_path / "waymark.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", source], check=True)  # noqa: S603, S607
    drop(server, copy)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{copy}"')
    subprocess.run(  # noqa: S603
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={server}/{copy}", str(dump)],  # noqa: S607
        check=True,
    )
    return f"{server}/{copy}"


def drop(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def serve(url: str, tmp_path: Path) -> tuple[subprocess.Popen, str]:
    """granian serving the database at `url`, as production serves; no Redis, so nothing
    it shows can come from a cache the original filled."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {
        "DATABASE_URL": url,
        "DEBUG": "1",  # static files as they are, without collectstatic
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions in the dump were signed with it
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    granian = Path(sys.executable).parent / "granian"
    with (tmp_path / "granian.log").open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 (our arguments)
            [str(granian), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "config.wsgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    assert wait_for(lambda: get(base + "/healthz")[0] == 200 or process.poll() is not None, 60)
    assert process.poll() is None, (tmp_path / "granian.log").read_text()
    return process, base


def get(url: str, session: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (local)
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def test_every_organisation_is_intact_in_a_restored_dump(transactional_db, tmp_path):
    require_service(connection.vendor == "postgresql", "PostgreSQL (the drill dumps it)")
    tools = all(shutil.which(tool) for tool in ("pg_dump", "pg_restore"))
    require_service(tools, "pg_dump and pg_restore")
    seeded = [seed(slug) for slug in ORGANISATIONS]
    sessions = {}
    exports = {}
    for org, owner in seeded:
        client = Client()
        client.force_login(owner)  # its session is a row the dump carries
        sessions[org.slug] = client.cookies["sessionid"].value
        exports[org.slug] = exported_objects(organisation_export(org))

    url = dump_and_restore(tmp_path)
    server = None
    try:
        assert row_counts(url) == row_counts(database_url(direct=True))
        # Served as the app reaches its database (through PgBouncer when there is one).
        server, base = serve(url.replace(database_url(direct=True), database_url()), tmp_path)
        for org, _ in seeded:
            session = sessions[org.slug]
            status, content = get(f"{base}/o/{org.slug}/settings/export/", session)
            assert status == 200, content[:500]
            objects = exported_objects(content)
            assert objects == exports[org.slug]
            assert len(objects) > 30  # people, missions, goals, metrics, check-ins...

            status, page = get(f"{base}/o/{org.slug}/missions/", session)
            assert status == 200
            assert f"{org.slug} mission 1".encode() in page
            assert f"{org.slug} mission 2".encode() in page
            status, page = get(f"{base}/o/{org.slug}/missions/{org.slug}-mission-1/", session)
            assert status == 200
            assert f"{org.slug} metric 1".encode() in page
            assert f"{org.slug} milestone 1".encode() in page
            # Another organisation's owner finds nothing of this one's.
            other = sessions[next(slug for slug in ORGANISATIONS if slug != org.slug)]
            assert get(f"{base}/o/{org.slug}/missions/", other)[0] == 404
    finally:
        if server is not None:
            stop([server])
        drop(url.rsplit("/", 1)[0], url.rsplit("/", 1)[1])
    with psycopg.connect(database_url(direct=True)) as db:
        gone = db.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", [url.rsplit("/", 1)[1]]
        ).fetchone()
    assert gone == (0,)
