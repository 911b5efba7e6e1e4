"""The API driven with real HTTP against a live server: what a token sees, a check-in
recorded once, lists a page at a time, and every refusal as problem details."""

import datetime
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone
from openapi_spec_validator import validate

from api.models import ApiToken, IdempotentRequest
from audit.models import Change
from metrics.models import CheckIn
from metrics.rollups import figures_of
from missions.models import Mission, Report
from orgs.models import Organisation
from reporting.reports import report_publish
from tests.api.conftest import make_token
from tests.conftest import require_service
from tests.factories import AlignmentFactory, MilestoneFactory, MissionFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"] and body["detail"]
    assert body["type"].endswith(f"#error-{code}")
    return body


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["items"]]


# ---- What a token sees -------------------------------------------------------------------


def test_a_members_token_lists_the_missions_they_see_not_the_private_one(api, world):
    cast = world.cast
    member = api(make_token(cast.org, cast.member, role="member"))
    owner = api(make_token(cast.org, cast.owner))
    assert slugs(member.get("/orgs/acme/missions")) == [world.mission.slug]
    assert set(slugs(owner.get("/orgs/acme/missions"))) == {world.mission.slug, world.private.slug}
    assert_problem(member.get(f"/orgs/acme/missions/{world.private.slug}"), 404, "not_found")
    metrics = member.get("/orgs/acme/metrics").json()["items"]
    assert [metric["name"] for metric in metrics] == ["Tonnes"]


def test_the_organisation_list_is_the_tokens_own(api, world):
    cast = world.cast
    answer = api(make_token(cast.org, cast.member, role="member", scopes=("read",))).get("/orgs")
    # A read-only token acts as a viewer, whatever its owner's role.
    assert answer.json() == [
        {
            "slug": "acme",
            "name": "Acme Missions",
            "time_zone": cast.org.time_zone,
            "role": "viewer",
            "scopes": ["read"],
        }
    ]


def test_a_metric_shows_its_stored_figures(api, world):
    cast = world.cast
    metric = world.metric
    metric.refresh_from_db()
    body = (
        api(make_token(cast.org, cast.viewer, role="viewer", scopes=("read",)))
        .get(f"/orgs/acme/metrics/{metric.uid}")
        .json()
    )
    today = timezone.localdate()
    rollup = figures_of(metric, today)
    assert body["latest_value"] == "20"
    assert body["baseline_value"] == "10" and body["target_value"] == "50"
    assert body["progress"] == metric.progress == 25.0
    assert body["status"] == rollup.status
    assert body["mission"] == world.mission.slug


def test_goals_milestones_teams_and_alignment_are_read(api, world):
    cast = world.cast
    team = TeamFactory(organisation=cast.org, name="Ops", slug="ops", lead=cast.admin)
    team.team_members.create(user=cast.member)
    AlignmentFactory(mission=world.mission, team=team, capacity=40)
    AlignmentFactory(mission=world.private, team=team, capacity=10)
    MilestoneFactory(mission=world.mission, title="Audit done")
    member = api(make_token(cast.org, cast.member, role="member", scopes=("read",)))
    goals = member.get("/orgs/acme/goals").json()["items"]
    assert {goal["mission"] for goal in goals} == {world.mission.slug}
    assert [m["title"] for m in member.get("/orgs/acme/milestones").json()["items"]] == [
        "Audit done"
    ]
    teams = member.get("/orgs/acme/teams").json()["items"]
    assert teams[0]["slug"] == "ops" and teams[0]["lead"]["email"] == cast.admin.email
    assert [person["email"] for person in teams[0]["members"]] == [cast.member.email]
    aligned = member.get("/orgs/acme/alignments").json()["items"]
    # The private mission's alignment is as hidden as the mission.
    assert [(row["mission"], row["team"], row["capacity"]) for row in aligned] == [
        (world.mission.slug, "ops", 40)
    ]


def test_published_reports_come_with_their_snapshot_and_drafts_stay_out(api, world):
    cast = world.cast
    published = Report.objects.create(
        organisation=cast.org,
        title="Spring report",
        author=cast.owner,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
    )
    published.missions.set([world.mission])
    report_publish(published, cast.owner)
    Report.objects.create(
        organisation=cast.org,
        title="Draft report",
        author=cast.owner,
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 6, 30),
    )
    viewer = api(make_token(cast.org, cast.viewer, role="viewer", scopes=("read",)))
    listed = viewer.get("/orgs/acme/reports").json()["items"]
    assert [(report["title"], report["missions"]) for report in listed] == [
        ("Spring report", [world.mission.slug])
    ]
    detail = viewer.get(f"/orgs/acme/reports/{published.uid}").json()
    published.refresh_from_db()
    assert detail["snapshot"] == published.snapshot
    draft = Report.objects.get(title="Draft report")
    assert_problem(viewer.get(f"/orgs/acme/reports/{draft.uid}"), 404, "not_found")


# ---- Recording a check-in ----------------------------------------------------------------


def test_a_retried_checkin_with_its_idempotency_key_is_recorded_once(api, world):
    cast = world.cast
    metric = world.metric
    member = api(make_token(cast.org, cast.member, role="member", scopes=("check-in",)))
    before = CheckIn.objects.count()
    key = str(uuid.uuid4())
    reading = {"value": 30, "confidence": "at_risk", "note": "From the meter"}
    path = f"/orgs/acme/metrics/{metric.uid}/checkins"
    first = member.post(path, json=reading, headers={"Idempotency-Key": key})
    again = member.post(path, json=reading, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert first.json() == again.json()
    assert CheckIn.objects.count() == before + 1
    recorded = CheckIn.objects.get(uid=first.json()["uid"])
    assert recorded.author == cast.member and recorded.note == "From the meter"
    # Through the same service as the page: the stored figures and the audit follow.
    metric.refresh_from_db()
    assert metric.latest_value == 30 and metric.latest_confidence == "at_risk"
    assert metric.progress == 50.0
    change = Change.objects.filter(subject="checkin", object_id=recorded.pk).get()
    assert change.actor == cast.member and "API token" in change.actor_label
    # A new key is a new reading: the same date's second reading corrects the first.
    third = member.post(path, json={"value": 31}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert third.status_code == 201
    assert third.json()["corrects"] == first.json()["uid"]
    assert CheckIn.objects.filter(metric=metric, is_current=True).count() == 2


def test_an_idempotency_key_reused_for_another_reading_is_refused(api, world):
    cast = world.cast
    member = api(make_token(cast.org, cast.member, role="member", scopes=("check-in",)))
    path = f"/orgs/acme/metrics/{world.metric.uid}/checkins"
    member.post(path, json={"value": 30}, headers={"Idempotency-Key": "k-1"})
    count = CheckIn.objects.count()
    body = assert_problem(
        member.post(path, json={"value": 99}, headers={"Idempotency-Key": "k-1"}),
        422,
        "idempotency_key_reused",
    )
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert CheckIn.objects.count() == count


@pytest.mark.parametrize(
    ("reading", "field"),
    [
        ({"value": "lots"}, "value"),
        ({}, "value"),
        ({"value": 5, "for_date": "2999-01-01"}, "for_date"),
        ({"value": 5, "for_date": "yesterday"}, "for_date"),
        ({"value": 5, "confidence": "euphoric"}, "confidence"),
        ({"value": 5, "note": "x" * 2001}, "note"),
        ({"value": 5, "for_date": "2025-06-01"}, "for_date"),  # before the baseline
    ],
)
def test_a_bad_reading_is_refused_naming_its_field_and_nothing_changes(api, world, reading, field):
    cast = world.cast
    member = api(make_token(cast.org, cast.member, role="member", scopes=("check-in",)))
    count = CheckIn.objects.count()
    answer = member.post(f"/orgs/acme/metrics/{world.metric.uid}/checkins", json=reading)
    body = assert_problem(answer, 422, "validation_failed")
    assert field in [error["field"] for error in body["errors"]], body
    assert field in body["detail"]
    assert CheckIn.objects.count() == count
    assert not IdempotentRequest.objects.exists()


def test_who_may_check_in_is_the_pages_rule(api, world):
    cast = world.cast
    path = f"/orgs/acme/metrics/{world.metric.uid}/checkins"
    viewer = api(make_token(cast.org, cast.viewer, role="viewer", scopes=("read", "check-in")))
    assert_problem(viewer.post(path, json={"value": 1}), 403, "forbidden")
    # The owner may, but not with a token that only reads.
    reader = api(make_token(cast.org, cast.owner, scopes=("read",)))
    assert_problem(reader.post(path, json={"value": 1}), 403, "insufficient_scope")
    # A check-in-only token reads nothing.
    writer = api(make_token(cast.org, cast.member, role="member", scopes=("check-in",)))
    assert_problem(writer.get("/orgs/acme/missions"), 403, "insufficient_scope")
    # An admin's token capped at member acts as a member: the member's own metric only.
    capped = api(make_token(cast.org, cast.admin, role="member"))
    assert_problem(capped.post(path, json={"value": 1}), 403, "forbidden")
    assert CheckIn.objects.filter(metric=world.metric).count() == 1


# ---- Lists -------------------------------------------------------------------------------


def test_lists_come_a_page_at_a_time_with_stable_cursors(api, world):
    cast = world.cast
    for n in range(5):
        MissionFactory(organisation=cast.org, title=f"Extra {n}", owner=cast.owner)
    owner = api(make_token(cast.org, cast.owner))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = owner.get("/orgs/acme/missions", params=params).json()
        seen += [item["slug"] for item in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
        if pages == 1:
            # A mission changed mid-walk moves to the end: it is not skipped nor repeated.
            Mission.objects.filter(slug=seen[0]).update(updated_at=timezone.now())
    assert pages == 4
    assert len(seen) == len(set(seen[:-1])) + 1 == 7 + 1
    assert seen[-1] == seen[0]
    assert set(seen) == set(Mission.objects.values_list("slug", flat=True))


def test_a_forged_cursor_or_limit_is_a_clear_400_or_422(api, world):
    owner = api(make_token(world.cast.org, world.cast.owner))
    body = assert_problem(
        owner.get("/orgs/acme/missions", params={"cursor": "not-a-cursor"}), 400, "invalid_cursor"
    )
    assert body["errors"] == [{"field": "cursor", "message": "Not a cursor this list gave out."}]
    body = assert_problem(
        owner.get("/orgs/acme/missions", params={"limit": 5000}), 422, "validation_failed"
    )
    assert body["errors"][0]["field"] == "limit"
    body = assert_problem(
        owner.get("/orgs/acme/missions", params={"updated_since": "last week"}),
        422,
        "validation_failed",
    )
    assert body["errors"][0]["field"] == "updated_since"


def test_updated_since_gives_only_what_changed(api, world):
    cast = world.cast
    owner = api(make_token(cast.org, cast.owner))
    time.sleep(0.01)
    since = timezone.now()
    time.sleep(0.01)
    # A check-in moves its metric's latest value and stored figures, so the metric changed.
    owner.post(f"/orgs/acme/metrics/{world.metric.uid}/checkins", json={"value": 40})
    changed = owner.get("/orgs/acme/metrics", params={"updated_since": since.isoformat()})
    assert [metric["uid"] for metric in changed.json()["items"]] == [str(world.metric.uid)]
    checkins = owner.get("/orgs/acme/checkins", params={"updated_since": since.isoformat()})
    assert [c["value"] for c in checkins.json()["items"]] == ["40"]
    assert owner.get("/orgs/acme/teams", params={"updated_since": since.isoformat()}).json() == {
        "next": None,
        "items": [],
    }


# ---- Refusals ----------------------------------------------------------------------------


def test_refusals_are_problem_details(api, world):
    cast = world.cast
    owner = api(make_token(cast.org, cast.owner))
    body = assert_problem(api(None).get("/orgs"), 401, "not_authenticated")
    assert "Bearer" in body["detail"]
    assert api(None).get("/orgs").headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(api("wmk_made-up").get("/orgs"), 401, "not_authenticated")
    assert_problem(owner.get("/orgs/other-co/missions"), 404, "not_found")
    assert_problem(owner.get("/orgs/acme/metrics/not-a-uid"), 404, "not_found")
    assert_problem(owner.get("/no/such/address"), 404, "not_found")
    answer = owner.post("/orgs/acme/missions", json={})
    assert_problem(answer, 405, "method_not_allowed")
    assert answer.headers["Allow"] == "GET"
    assert owner.get("/orgs").headers["Cache-Control"] == "private, no-store"


def test_a_token_over_its_rate_gets_429_with_retry_after(api, world, settings):
    settings.API_RATE_PER_MINUTE = 3
    cast = world.cast
    first = api(make_token(cast.org, cast.owner))
    other = api(make_token(cast.org, cast.owner))
    assert [first.get("/orgs").status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get("/orgs")
    body = assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert refused.headers["Retry-After"] in body["detail"]
    # Per token: another token is not held back by the first one's use.
    assert other.get("/orgs").status_code == 200


@pytest.mark.parametrize("state", ["revoked", "expired", "owner left"])
def test_a_dead_token_gets_401_and_changes_nothing(api, world, state):
    cast = world.cast
    past = timezone.now() - datetime.timedelta(minutes=1)
    fields = {"revoked": {"revoked_at": past}, "expired": {"expires_at": past}}.get(state, {})
    secret = make_token(cast.org, cast.member, role="member", **fields)
    if state == "owner left":
        cast.membership(cast.member).delete()
    count = CheckIn.objects.count()
    code = {"revoked": "token_revoked", "expired": "token_expired"}.get(state, "owner_left")
    dead = api(secret)
    answer = dead.post(f"/orgs/acme/metrics/{world.metric.uid}/checkins", json={"value": 44})
    assert_problem(answer, 401, code)
    assert_problem(dead.get("/orgs/acme/missions"), 401, code)
    assert CheckIn.objects.count() == count
    assert ApiToken.objects.get().last_used_at is None


def test_a_token_notes_when_it_was_last_used(api, world):
    make_token(world.cast.org, world.cast.owner)
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    secret = make_token(world.cast.org, world.cast.owner)
    api(secret).get("/orgs")
    used = ApiToken.objects.exclude(pk=token.pk).get()
    assert used.last_used_at is not None


# ---- The document and the docs -----------------------------------------------------------


def test_the_openapi_document_validates(api, live_server):
    document = api(None).get("/openapi.json")
    assert document.status_code == 200
    spec = document.json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/orgs/{org}/metrics/{metric_uid}/checkins" in spec["paths"]
    assert spec["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_the_docs_are_served_by_waymark_without_a_cdn(live_server, cast):
    import requests

    answer = requests.get(live_server.url + "/api/v1/docs/", timeout=10)
    assert answer.status_code == 200
    page = answer.text
    assert "checkin_create" in page or "/checkins" in page
    assert "error-rate_limited" in page
    assert "cdn" not in page.lower()
    # Only the site's own scripts (htmx, as on every page), and none inline.
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all('src="/static/' in attributes for attributes in scripts)
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "http" not in policy


def test_an_organisation_that_does_not_exist_looks_like_another_ones(api, world):
    owner = api(make_token(world.cast.org, world.cast.owner))
    other = owner.get("/orgs/other-co/metrics")
    missing = owner.get("/orgs/no-org/metrics")
    assert (other.status_code, other.json()) == (missing.status_code, missing.json())
    assert Organisation.objects.filter(slug="other-co").exists()


# ---- The README's examples, run against the live server ---------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(language: str) -> str:
    text = README.read_text()
    section = text[text.index("## The API") :]
    return re.search(rf"```{language}\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readmes_python_check_in_records_one(live_server, world, monkeypatch, capsys):
    cast = world.cast
    monkeypatch.setenv("WAYMARK_TOKEN", make_token(cast.org, cast.member, role="member"))
    monkeypatch.setenv("METRIC_UID", str(world.metric.uid))
    code = readme_block("python").replace("https://waymark.example", live_server.url)
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    before = CheckIn.objects.count()
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 -- the README's own example
    uid = capsys.readouterr().out.strip()
    assert CheckIn.objects.count() == before + 1
    assert CheckIn.objects.get(uid=uid).value == Decimal("42.5")


def test_the_readmes_curl_check_in_records_one(live_server, world):
    curl = shutil.which("curl")
    assert curl, "curl is installed with the system (apt-get install curl)"
    cast = world.cast
    env = os.environ | {
        "WAYMARK_TOKEN": make_token(cast.org, cast.member, role="member"),
        "METRIC_UID": str(world.metric.uid),
    }
    command = readme_block("sh").replace("https://waymark.example", live_server.url)
    before = CheckIn.objects.count()
    done = subprocess.run(  # noqa: S603 -- the README's own example
        ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == "42.5"
    assert CheckIn.objects.count() == before + 1


# ---- On the production services ----------------------------------------------------------


def test_two_simultaneous_retries_record_one_check_in(api, world):
    """They arrive before any has answered: the others wait on the key's row, then replay
    the first's answer. On PostgreSQL: the live server of an in-memory SQLite test
    database shares one connection between its threads, which simultaneous requests
    break ("bad parameter or other API misuse"), so it cannot take them at all."""
    require_service(connection.vendor == "postgresql", "PostgreSQL")
    cast = world.cast
    secret = make_token(cast.org, cast.member, role="member", scopes=("check-in",))
    path = f"/orgs/acme/metrics/{world.metric.uid}/checkins"
    before = CheckIn.objects.count()
    key = str(uuid.uuid4())

    def send(_):
        # As a client does: a 409 (the first request still at work) is sent again after
        # Retry-After, for up to a minute.
        deadline = time.monotonic() + 60
        while True:
            answer = api(secret).post(path, json={"value": 35}, headers={"Idempotency-Key": key})
            if answer.status_code not in (409, 503) or time.monotonic() > deadline:
                return answer
            assert answer.json()["code"] in ("conflict", "unavailable")
            time.sleep(float(answer.headers["Retry-After"]) / 10)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(send, range(4)))
    assert [answer.status_code for answer in answers] == [201] * 4
    assert len({answer.json()["uid"] for answer in answers}) == 1
    assert sum("Idempotent-Replayed" in answer.headers for answer in answers) == 3
    assert CheckIn.objects.count() == before + 1


def test_the_rate_limit_is_counted_in_redis_across_processes(api, world, settings):
    """Every web process shares the count: it lives in Redis (REDIS_URL), as in production."""
    require_service(bool(os.environ.get("REDIS_URL")), "Redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FaultTolerantRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4()}",
        }
    }
    settings.API_RATE_PER_MINUTE = 2
    owner = api(make_token(world.cast.org, world.cast.owner))
    assert [owner.get("/orgs").status_code for _ in range(2)] == [200, 200]
    assert_problem(owner.get("/orgs"), 429, "rate_limited")
    token = ApiToken.objects.get()
    window = int(time.time() // 60)
    stored = redis.Redis.from_url(os.environ["REDIS_URL"]).keys(f"*api-rate:{token.pk}:*")
    assert stored, "the count is in Redis"
    assert any(
        key.decode().endswith(f":{window}") or key.decode().endswith(f":{window - 1}")
        for key in stored
    )
