"""An admin downloads everything the organisation holds, as JSON and CSV in a zip."""

import csv
import datetime
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import CheckIn
from missions.models import Report, ShareLink, ShareTarget
from orgs.models import Organisation, User
from orgs.portability import organisation_export, organisation_models
from tests.factories import (
    AlignmentFactory,
    InvitationFactory,
    MetricFactory,
    MissionFactory,
    StakeholderFactory,
    TeamFactory,
)

URL = reverse("orgs:export", args=["acme"])


def opened(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def objects_in(archive: zipfile.ZipFile) -> list[dict]:
    return json.loads(archive.read("organisation.json"))["objects"]


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(f"csv/{name}.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def project_models() -> list[type]:
    """Every model of Waymark's own apps: those whose code lives in this repository."""
    base = Path(settings.BASE_DIR)
    return [
        model
        for model in apps.get_models()
        if Path(apps.get_app_config(model._meta.app_label).path).is_relative_to(base)
        and "site-packages" not in apps.get_app_config(model._meta.app_label).path
    ]


def add_mission_with_history(org: Organisation, n: int, author: User) -> None:
    mission = MissionFactory(organisation=org, title=f"Mission {n}", slug=f"mission-{n}")
    metric = MetricFactory(goal__mission=mission)
    for day in (1, 2):
        CheckIn.objects.create(
            metric=metric, value=day, for_date=datetime.date(2026, 2, day), author=author
        )
    report = Report.objects.create(
        organisation=org,
        title=f"Report {n}",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        author=author,
    )
    report.missions.add(mission)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_an_owner_or_admin_downloads_a_zip(cast, login, role):
    response = login(getattr(cast, role)).get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="waymark-acme-')
    assert "no-store" in response["Cache-Control"]
    names = opened(response.content).namelist()
    assert {"organisation.json", "README.txt", "csv/orgs_organisation.csv"} <= set(names)


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_may_not_export(cast, login, role):
    assert login(getattr(cast, role)).get(URL).status_code == 403


def test_an_outsider_gets_404(cast, login):
    assert login(cast.outsider).get(URL).status_code == 404


def test_a_visitor_is_asked_to_log_in(client, db):
    assert client.get(URL)["Location"].startswith(reverse("login"))


def test_the_settings_page_offers_the_export_to_admins_only(cast, login):
    settings_url = reverse("orgs:settings", args=["acme"])
    assert URL in login(cast.admin).get(settings_url).text
    assert URL not in login(cast.member).get(settings_url).text


def test_the_export_holds_this_organisation_and_nothing_of_another(cast):
    MissionFactory(organisation=cast.org, title="Ours", slug="ours")
    MissionFactory(organisation=cast.other_org, title="Theirs", slug="theirs")

    archive = opened(organisation_export(cast.org))

    text = archive.read("organisation.json").decode()
    assert "Ours" in text
    assert "Theirs" not in text
    assert "other-co" not in text
    assert cast.outsider.email not in text
    people = {o["fields"]["email"] for o in objects_in(archive) if o["model"] == "orgs.user"}
    assert people == {cast.owner.email, cast.admin.email, cast.member.email, cast.viewer.email}


def test_the_export_holds_no_passwords_or_tokens(cast):
    invitation = InvitationFactory(organisation=cast.org)
    link = ShareLink.objects.create(organisation=cast.org, target=ShareTarget.ORGANISATION)

    archive = opened(organisation_export(cast.org))

    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert cast.owner.password.encode() not in everything
    assert b"md5$" not in everything  # the tests' password hasher
    assert invitation.token.encode() not in everything
    assert link.token.encode() not in everything
    # Nor their digests: a link is not to work on the site the file is loaded into.
    assert invitation.token_hash.encode() not in everything
    assert link.token_hash.encode() not in everything
    people = [o["fields"] for o in objects_in(archive) if o["model"] == "orgs.user"]
    assert not {"password", "is_superuser", "is_staff", "last_login"} & set(people[0])


def test_ids_in_the_file_are_its_own_and_its_references_hold(cast):
    mission = MissionFactory(organisation=cast.org)
    metric = MetricFactory(goal__mission=mission)

    objects = objects_in(opened(organisation_export(cast.org)))

    by_model = {}
    for record in objects:
        by_model.setdefault(record["model"], []).append(record)
    assert [o["pk"] for o in by_model["orgs.membership"]] == [1, 2, 3, 4]
    (exported_metric,) = by_model["metrics.metric"]
    (exported_goal,) = by_model["missions.goal"]
    assert exported_metric["fields"]["goal"] == exported_goal["pk"] == 1
    assert exported_metric["fields"]["uid"] == str(metric.uid)


def test_each_model_has_a_spreadsheet_and_formulas_do_not_run(cast):
    StakeholderFactory(organisation=cast.org, name='=HYPERLINK("http://evil.example","Hi")')

    archive = opened(organisation_export(cast.org))

    (row,) = csv_rows(archive, "orgs_stakeholder")
    assert row["name"] == '\'=HYPERLINK("http://evil.example","Hi")'
    assert row["id"] == "1"
    assert row["organisation"] == "1"
    (json_row,) = [o for o in objects_in(archive) if o["model"] == "orgs.stakeholder"]
    assert json_row["fields"]["name"] == '=HYPERLINK("http://evil.example","Hi")'  # kept as typed
    memberships = csv_rows(archive, "orgs_membership")
    assert [m["role"] for m in memberships] == ["owner", "admin", "member", "viewer"]


def test_datetimes_keep_their_microseconds(cast):
    archive = opened(organisation_export(cast.org))
    (org,) = [o for o in objects_in(archive) if o["model"] == "orgs.organisation"]
    assert datetime.datetime.fromisoformat(org["fields"]["created_at"]) == cast.org.created_at


def test_the_number_of_queries_does_not_grow_with_the_rows(cast):
    add_mission_with_history(cast.org, 1, cast.member)
    with CaptureQueriesContext(connection) as few:
        organisation_export(cast.org)
    for n in range(2, 7):
        add_mission_with_history(cast.org, n, cast.owner)
    with CaptureQueriesContext(connection) as many:
        organisation_export(cast.org)

    assert len(many.captured_queries) == len(few.captured_queries)


def test_every_model_of_waymarks_apps_is_exported():
    """A new model must belong to an organisation by a foreign key, or be taught here."""
    exported = set(organisation_models())
    missing = [
        model._meta.label
        for model in project_models()
        if model not in exported and model is not User
    ]
    assert not missing, (
        f"{missing} belong to no organisation by a chain of foreign keys, so the export "
        "would leave them out: give them one, or teach orgs/portability.py about them"
    )


def test_every_reference_of_an_exported_model_stays_inside_the_export():
    """A reference to a row the export does not carry could not be loaded back."""
    carried = {*organisation_models(), User}
    outside = [
        f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}"
        for model in organisation_models()
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if field.is_relation and field.related_model not in carried
    ]
    assert not outside


def test_references_are_to_ids():
    """The file numbers rows by id; a reference by another field could not be renumbered."""
    by_other_field = [
        f"{model._meta.label}.{field.name}"
        for model in organisation_models()
        for field in model._meta.concrete_fields
        if field.is_relation and not field.target_field.primary_key
    ]
    assert not by_other_field


def test_data_that_refers_to_another_organisation_is_not_exported_and_the_page_says_so(cast, login):
    mission = MissionFactory(organisation=cast.org)
    AlignmentFactory(mission=mission, team=TeamFactory(organisation=cast.other_org))

    response = login(cast.admin).get(URL, follow=True)

    assert response.redirect_chain[-1][0] == reverse("orgs:settings", args=["acme"])
    assert "The export could not be made" in response.text
    assert response.headers["Content-Type"].startswith("text/html")
