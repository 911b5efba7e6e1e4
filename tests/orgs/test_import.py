"""`manage.py import_org` loads an export into another database with every row intact."""

import datetime
import io
import json
import os
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, IdempotentRequest
from audit.models import Action, Change, Subject
from integrations.models import (
    Channel,
    ChannelPost,
    DeliveryAttempt,
    MetricFeed,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from metrics.forms import MetricForm
from metrics.models import CheckIn, CheckInImport, Metric
from metrics.services import checkin_correct
from missions.forms import GoalForm
from missions.models import Goal, Mission, Report, ShareLink, ShareTarget
from orgs import portability
from orgs.models import EmailDelivery, Membership, Organisation, User
from orgs.portability import (
    SECRET_FIELDS,
    USER_FIELDS,
    USER_FIELDS_LEFT_OUT,
    ImportRefused,
    organisation_export,
    organisation_models,
    soft_references,
)
from orgs.roles import Role
from reporting.reports import report_publish, report_supersede
from tests.factories import (
    PASSWORD,
    InvitationFactory,
    MembershipFactory,
    MetricFactory,
    MissionFactory,
    OrganisationFactory,
    StakeholderFactory,
    UserFactory,
)

SLUG = "riverside-bakery"


def rich_organisation() -> Organisation:
    """The demo bakery, and a row of every other kind it lacks."""
    call_command("load_demo", stdout=io.StringIO())
    org = Organisation.objects.get(slug=SLUG)
    owner = User.objects.get(email="owner@demo.waymark.example")
    missions = list(org.missions.order_by("pk"))

    report = Report.objects.create(
        organisation=org,
        title="Spring at the bakery",
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 5, 31),
        narrative="Ovens in, vans next.",
        author=owner,
    )
    report.missions.set(missions[:2])
    report_publish(report, owner)
    report_supersede(report, owner)  # a draft version 2, pointing back at version 1
    ShareLink.objects.create(
        organisation=org, target=ShareTarget.MISSION, mission=missions[0], created_by=owner
    )
    ShareLink.objects.create(
        organisation=org, target=ShareTarget.REPORT, report=report, label="Funders"
    )
    ShareLink.objects.create(
        organisation=org, target=ShareTarget.ORGANISATION, revoked_at=timezone.now()
    )
    InvitationFactory(organisation=org, email="new.baker@example.com", invited_by=owner)
    InvitationFactory(organisation=org, email="gone@example.com", revoked_at=timezone.now())
    EmailDelivery.objects.create(
        organisation=org,
        kind="digest",
        recipient="owner@demo.waymark.example",
        period_key="week:2026-03-02",
        state="sent",
        sent_at=timezone.now(),
    )
    StakeholderFactory(organisation=org, name="=1+1 Holdings", notes="Cell that looks like a sum")

    # Someone who recorded a value and a correction, then left: their name stays on both.
    leaver = UserFactory(email="leaver@example.com", name="Lee Ver")
    MembershipFactory(organisation=org, user=leaver, role=Role.MEMBER)
    metric = Metric.objects.filter(mission__organisation=org).order_by("pk").first()
    first = CheckIn.objects.create(
        metric=metric, value=Decimal("3.25"), for_date=datetime.date(2020, 1, 1), author=leaver
    )
    checkin_correct(first, value=Decimal("3.5"), author=leaver, confidence="at_risk", note="Oops")
    CheckInImport.objects.create(organisation=org, metric=metric, author=leaver, readings=2)
    Membership.objects.filter(organisation=org, user=leaver).delete()

    add_history(org, owner)

    api_token = ApiToken(organisation=org, owner=owner, name="Till sync", scopes=["read"])
    api_token.issue()
    api_token.save()
    IdempotentRequest.objects.create(
        token=api_token, key="reading-1", fingerprint="0" * 64, status=201, body={"value": "3"}
    )

    # What it tells other systems, sent already: an import must not send it again.
    endpoint = WebhookEndpoint.objects.create(
        organisation=org, url="https://hooks.example/till", events=["checkin.recorded"]
    )
    event = WebhookEvent.objects.create(
        uid="00000000-0000-4000-8000-0000000000e1",
        organisation=org,
        name="checkin.recorded",
        payload={"value": "3"},
        happened_at=timezone.now(),
    )
    delivery = WebhookDelivery.objects.create(
        event=event, endpoint=endpoint, state="sent", attempts=1, sent_at=timezone.now()
    )
    DeliveryAttempt.objects.create(delivery=delivery, number=1, status_code=204, duration_ms=40)
    channel = Channel.objects.create(
        organisation=org, kind="slack", name="#bakery", url="https://hooks.slack.example/T/B/x"
    )
    ChannelPost.objects.create(
        channel=channel, key="report-1", body={"text": "Published"}, state="sent"
    )
    MetricFeed.objects.create(metric=metric, url="https://sheets.example/till.csv", selector="B2")

    # Another organisation on the same server, sharing a person, must not come along.
    other = OrganisationFactory(name="Other Co", slug="other-co")
    MembershipFactory(organisation=other, user=owner, role=Role.OWNER)
    MetricFactory(goal__mission=MissionFactory(organisation=other, title="Other mission"))
    return org


def form_data(form_class, row, **change) -> dict:
    """The edit form as its page fills it in, with `change` made."""
    data = model_to_dict(row, fields=form_class.Meta.fields)
    data["owner"] = row.owner.email if row.owner else None  # the form names people by email
    return (
        {name: "" if value is None else value for name, value in data.items()}
        | {"version": row.version}
        | change
    )


def add_history(org: Organisation, owner: User) -> None:
    """History that names rows and people by id: form edits, a correction (above), a
    metric moved to a goal that is then deleted, and a goal owner who has since left."""
    client = Client()
    client.force_login(owner)
    mission = org.missions.order_by("pk").first()
    goal = mission.goals.order_by("pk").first()
    metric = Metric.objects.filter(goal=goal).order_by("pk").first()
    # Fay owned the goal until the owner took it over; the history is all that names her.
    former = UserFactory(email="fay.former@example.com", name="Fay Former")
    MembershipFactory(organisation=org, user=former, role=Role.MEMBER)
    Goal.objects.filter(pk=goal.pk).update(owner=former)
    goal.refresh_from_db()
    edit_goal = reverse("reporting:goal_edit", args=[org.slug, mission.slug, goal.uid])
    form = form_data(GoalForm, goal, title="Bake greener bread", owner=owner.email)
    response = client.post(edit_goal, form)
    assert response.status_code == 302, response.context["form"].errors
    Membership.objects.filter(organisation=org, user=former).delete()

    edit_metric = reverse("metrics:edit", args=[org.slug, mission.slug, metric.uid])
    form = form_data(MetricForm, metric, target_value="99.5", source_note="The oven's meter")
    assert client.post(edit_metric, form).status_code == 302

    interim = Goal.objects.create(mission=mission, title="Interim plan", position=99)
    Metric.objects.filter(pk=metric.pk).update(goal=interim)
    Metric.objects.filter(pk=metric.pk).update(goal=goal)
    interim.delete()

    changes = Change.objects.filter(organisation=org)
    assert changes.filter(subject=Subject.GOAL, action=Action.DELETE).exists()
    assert changes.filter(after__corrects__isnull=False).exists()
    assert changes.filter(before__owner=former.pk).exists()


def history_pages(slug: str) -> dict[str, list[tuple]]:
    """Every entry of every mission's and metric's history page, as an admin reads it."""
    org = Organisation.objects.get(slug=slug)
    client = Client()
    client.force_login(User.objects.get(email="owner@demo.waymark.example"))
    urls = [
        reverse("reporting:mission_history", args=[slug, mission.slug])
        for mission in org.missions.order_by("slug")
    ] + [
        reverse("reporting:metric_history", args=[slug, metric.mission.slug, metric.uid])
        for metric in Metric.objects.filter(mission__organisation=org).order_by("uid")
    ]
    pages = {}
    for url in urls:
        entries, number, last = [], 1, 1
        while number <= last:
            response = client.get(url, {"page": number})
            assert response.status_code == 200
            last = response.context["page"].paginator.num_pages
            entries += [
                (entry.change.at, entry.actor, entry.summary, entry.fields)
                for entry in response.context["entries"]
            ]
            number += 1
        pages[url] = entries
    return pages


def snapshot(slug: str) -> dict[str, list[dict]]:
    """Every row of the organisation, read from the database, comparable across databases:
    ids become each row's place among its model's rows, people become their email."""
    org = Organisation.objects.get(slug=slug)
    rows = {
        model: list(model._base_manager.filter(**{lookup or "pk": org.pk}).order_by("pk"))
        for model, lookup in organisation_models().items()
    }
    place = {model: {row.pk: n for n, row in enumerate(found)} for model, found in rows.items()}
    people = {user.pk: user for user in User.objects.all()}

    def reference(field, value):
        if value is None:
            return None
        if field.related_model is User:
            return people[value].email
        return place[field.related_model][value]

    # Ids kept without a foreign key: a row of the organisation by its place, a person by
    # their email, a row that is gone by the order it is first named in.
    gone: dict = {}

    softly_named: set = set()

    def soft(target, value):
        if target is User and value in people:
            softly_named.add(people[value].email)
            return people[value].email
        if value in place.get(target, {}):
            return place[target][value]
        return "gone", target._meta.label, gone.setdefault((target, value), len(gone))

    result = {}
    for model, found in rows.items():
        left_out = set(SECRET_FIELDS.get(model._meta.label_lower, ()))
        result[model._meta.label] = [
            {
                field.name: reference(field, getattr(row, field.attname))
                if field.is_relation
                else getattr(row, field.attname)
                for field in model._meta.concrete_fields
                if not field.primary_key and field.name not in left_out
            }
            | {
                field.name: sorted(
                    reference(field, pk)
                    for pk in getattr(row, field.name).values_list("pk", flat=True)
                )
                for field in model._meta.many_to_many
                if field.remote_field.through._meta.auto_created
            }
            for row in found
        ]
        declared = soft_references().get(model)
        if declared is not None:
            result[model._meta.label] = [
                declared.renumber(fields, soft) for fields in result[model._meta.label]
            ]
    named = {
        reference(field, getattr(row, field.attname))
        for model, found in rows.items()
        for field in model._meta.concrete_fields
        if field.related_model is User
        for row in found
    } - {None} | softly_named
    result["orgs.User"] = [
        {name: getattr(user, name) for name in USER_FIELDS}
        for user in User.objects.filter(email__in=named).order_by("email")
    ]
    return result


def document_of(org: Organisation) -> dict:
    return json.loads(
        zipfile.ZipFile(io.BytesIO(organisation_export(org))).read("organisation.json")
    )


def export_to(path, org: Organisation):
    path.write_bytes(organisation_export(org))
    return path


def test_user_fields_are_either_exported_or_left_out_on_purpose():
    fields = [*User._meta.concrete_fields, *User._meta.many_to_many]
    every = {f.name for f in fields if not f.primary_key}
    assert set(USER_FIELDS) | set(USER_FIELDS_LEFT_OUT) == every
    assert not set(USER_FIELDS) & set(USER_FIELDS_LEFT_OUT)
    # Only credentials, and what a person may do on the server, stay behind.
    assert set(USER_FIELDS_LEFT_OUT) == {
        "password",
        "last_login",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
        "session_generation",
    }
    assert SECRET_FIELDS == {
        "api.apitoken": ("token_hash",),
        "missions.sharelink": ("token_hash",),
        "orgs.invitation": ("token_hash",),
    }


@pytest.mark.django_db(transaction=True)
def test_an_export_imported_into_an_empty_database_has_every_row_intact(tmp_path):
    org = rich_organisation()
    before = snapshot(SLUG)
    pages = history_pages(SLUG)
    tokens = set(ShareLink.objects.values_list("token_hash", flat=True))
    tokens |= set(ApiToken.objects.values_list("token_hash", flat=True))
    for label, found in before.items():
        assert found, f"the rich organisation has no {label} row, so the round trip proves nothing"
    zip_path = export_to(tmp_path / "bakery.zip", org)
    first = document_of(org)

    call_command("flush", interactive=False, verbosity=0)
    assert not Organisation.objects.exists()
    out = io.StringIO()
    call_command("import_org", str(zip_path), stdout=out)

    assert snapshot(SLUG) == before
    assert history_pages(SLUG) == pages
    shown = repr(pages)
    for words in (
        "label='Owner', before='Fay Former', after='Priya Shah'",  # named only in history
        "label='Goal', before='a deleted goal', after='“Bake greener bread”'",
        "corrected the value for 1 Jan 2020 from 3.25 tonnes CO₂e to 3.5 tonnes CO₂e",
    ):
        assert words in shown
    assert Change.objects.count() == len(before["audit.Change"])
    assert "Imported Riverside Bakery at /o/riverside-bakery/" in out.getvalue()
    again = document_of(Organisation.objects.get(slug=SLUG))
    assert again["objects"] == first["objects"]
    assert not Organisation.objects.filter(slug="other-co").exists()
    assert not any(user.has_usable_password() for user in User.objects.all())
    assert not tokens & set(ShareLink.objects.values_list("token_hash", flat=True))
    assert not tokens & set(ApiToken.objects.values_list("token_hash", flat=True))


@pytest.mark.django_db(transaction=True)
def test_an_import_beside_other_organisations_gets_new_ids_and_finds_existing_people(tmp_path):
    org = rich_organisation()
    before = snapshot(SLUG)
    pages = history_pages(SLUG)
    zip_path = export_to(tmp_path / "bakery.zip", org)
    call_command("flush", interactive=False, verbosity=0)
    # The new server already has an organisation, with ids the file's rows also had, and
    # the bakery's owner already has an account there, with a password of their own.
    here = OrganisationFactory(name="Already here", slug="already-here")
    owner = UserFactory(email="owner@demo.waymark.example", name="Priya Shah")
    MembershipFactory(organisation=here, user=owner, role=Role.OWNER)
    MetricFactory(goal__mission=MissionFactory(organisation=here))

    # Ids the history names now belong to the other organisation's rows, or to nobody.
    Change.objects.all().delete()
    call_command("import_org", str(zip_path), stdout=io.StringIO())

    after = snapshot(SLUG)
    owner_before = next(u for u in before.pop("orgs.User") if u["email"] == owner.email)
    owner_after = next(u for u in after.pop("orgs.User") if u["email"] == owner.email)
    assert after == before
    assert owner_after["name"] == owner_before["name"]
    assert User.objects.filter(email=owner.email).count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # their account is left as it was
    assert Mission.objects.filter(organisation=here).count() == 1
    # The history pages read as they did, and the import itself added nothing to them.
    assert history_pages(SLUG) == pages
    assert Change.objects.count() == len(before["audit.Change"])


@pytest.mark.django_db(transaction=True)
def test_an_organisation_whose_address_is_taken_is_not_imported(tmp_path):
    org = OrganisationFactory(name="Acme", slug="acme")
    MissionFactory(organisation=org)
    zip_path = export_to(tmp_path / "acme.zip", org)
    missions = Mission.objects.count()

    with pytest.raises(CommandError, match=r"An organisation at /o/acme/ already exists"):
        call_command("import_org", str(zip_path))

    assert Mission.objects.count() == missions


@pytest.mark.django_db(transaction=True)
def test_a_file_that_goes_wrong_halfway_imports_nothing(tmp_path):
    org = OrganisationFactory(name="Acme", slug="acme")
    MetricFactory(goal__mission=MissionFactory(organisation=org))
    MembershipFactory(organisation=org, user=UserFactory(email="ada@example.com"))
    document = document_of(org)
    for record in document["objects"]:
        if record["model"] == "metrics.metric":
            record["fields"]["goal"] = 99  # a goal the file does not hold
    zip_path = tmp_path / "broken.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("organisation.json", json.dumps(document))
    call_command("flush", interactive=False, verbosity=0)

    with pytest.raises(CommandError, match=r"metrics.metric 1 refers to missions.goal 99"):
        call_command("import_org", str(zip_path))

    assert not Organisation.objects.exists()
    assert not User.objects.exists()
    assert not Mission.objects.exists()


def zip_bomb(path, unpacked: int = 1024**3) -> str:
    """A zip a few MB long whose organisation.json unpacks to `unpacked` bytes (1 GiB)."""
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("organisation.json", "w", force_zip64=True) as member,
    ):
        block = b" " * 2**20
        for _ in range(unpacked // len(block)):
            member.write(block)
    return str(path)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(db, tmp_path):
    """Issue 17, finding 10: a 1 GiB member took 2.19 GB of memory before its refusal."""
    path = zip_bomb(tmp_path / "bomb.zip")
    assert os.path.getsize(path) < 8 * 2**20

    tracemalloc.start()
    try:
        with pytest.raises(CommandError) as refused:
            call_command("import_org", path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert "Nothing was imported. The zip unpacks to 1,073,741,824 bytes" in str(refused.value)
    assert "run import_org with a larger --max-mb" in str(refused.value)
    assert peak < 16 * 2**20
    assert not Organisation.objects.exists()


def test_an_import_reads_no_more_than_its_limit_even_where_the_zip_is_allowed(db, tmp_path):
    org = OrganisationFactory(name="Acme", slug="acme")
    zip_path = export_to(tmp_path / "acme.zip", org)
    org.delete()
    with pytest.raises(CommandError, match=r"The zip unpacks to [\d,]+ bytes, more than the 0"):
        call_command("import_org", str(zip_path), "--max-mb", "0")
    # Read in chunks and counted, whatever the zip says of itself.
    with (
        open(zip_path, "rb") as file,
        pytest.raises(ImportRefused, match=r"organisation\.json unpacks to"),
    ):
        portability._unpacked(LyingZip(file), max_bytes=10)
    call_command("import_org", str(zip_path), stdout=io.StringIO())
    assert Organisation.objects.filter(slug="acme").exists()


class LyingZip(zipfile.ZipFile):
    """A zip whose listing says its members are empty."""

    def infolist(self):
        said = []
        for member in super().infolist():
            empty = zipfile.ZipInfo(member.filename)
            empty.file_size = 0
            said.append(empty)
        return said


def edited_export(tmp_path, org: Organisation, edit) -> str:
    document = document_of(org)
    edit(document)
    path = tmp_path / "edited.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("organisation.json", json.dumps(document))
    return str(path)


def test_a_file_edited_to_make_someone_a_superuser_does_not(cast, tmp_path):
    def promote(document):
        for record in document["objects"]:
            if record["model"] == "orgs.user":
                record["fields"] |= {"is_superuser": True, "is_staff": True, "password": "x"}
            if record["model"] == "missions.sharelink":
                record["fields"]["token_hash"] = "chosen"

    ShareLink.objects.create(organisation=cast.org, target=ShareTarget.ORGANISATION)
    path = edited_export(tmp_path, cast.org, promote)
    emails = [cast.owner.email, cast.admin.email, cast.member.email, cast.viewer.email]
    cast.org.delete()
    User.objects.filter(email__in=emails).delete()

    call_command("import_org", path, stdout=io.StringIO())

    imported = User.objects.filter(email__in=emails)
    assert imported.count() == 4
    assert not imported.filter(is_superuser=True).exists()
    assert not imported.filter(is_staff=True).exists()
    assert not any(user.has_usable_password() for user in imported)
    assert not ShareLink.objects.filter(token_hash="chosen").exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(version=2), "The export is version 2; this Waymark reads version 1"),
        (lambda d: d.update(format="something"), "is not a Waymark organisation export"),
        (
            lambda d: d["objects"].append({"model": "audit.nothing", "pk": 1, "fields": {}}),
            "'audit.nothing' rows, which this Waymark does not know",
        ),
        (
            lambda d: d["objects"][0]["fields"].update(colour="blue"),
            "orgs.organisation has no field 'colour'",
        ),
        (
            lambda d: d["objects"].append({"model": "sessions.session", "pk": 1, "fields": {}}),
            "sessions.session rows do not belong to an organisation",
        ),
    ],
)
def test_a_file_this_waymark_cannot_read_is_refused_with_the_reason(cast, tmp_path, edit, message):
    path = edited_export(tmp_path, cast.org, edit)
    cast.org.delete()

    with pytest.raises(CommandError, match=message):
        call_command("import_org", path)

    assert not Organisation.objects.filter(slug="acme").exists()


def test_a_file_that_is_not_a_zip_is_refused(tmp_path, db):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(CommandError, match="The file is not a zip"):
        call_command("import_org", str(path))


def test_a_missing_file_is_refused(tmp_path, db):
    with pytest.raises(CommandError, match="Can't read"):
        call_command("import_org", str(tmp_path / "nowhere.zip"))


def test_a_row_that_refers_to_a_later_row_of_its_own_kind_is_loaded(cast, tmp_path):
    metric = MetricFactory(goal__mission=MissionFactory(organisation=cast.org))
    day = datetime.date(2026, 2, 1)
    current = CheckIn.objects.create(metric=metric, value=2, for_date=day)
    replaced = CheckIn.objects.create(metric=metric, value=1, for_date=day, is_current=False)
    CheckIn.objects.filter(pk=current.pk).update(corrects=replaced)
    path = export_to(tmp_path / "acme.zip", cast.org)
    CheckIn.objects.update(corrects=None)
    cast.org.delete()

    call_command("import_org", str(path), stdout=io.StringIO())

    assert CheckIn.objects.get(uid=current.uid).corrects.uid == replaced.uid


def test_the_history_of_a_deleted_goal_names_it_by_a_number_no_row_has(cast, tmp_path):
    mission = MissionFactory(organisation=cast.org)
    goal = Goal.objects.create(mission=mission, title="Short-lived")
    Goal.objects.filter(pk=goal.pk).update(title="Shorter-lived")
    goal.delete()
    changes = [
        record["fields"]
        for record in document_of(cast.org)["objects"]
        if record["model"] == "audit.change" and record["fields"]["subject"] == "goal"
    ]
    assert [c["action"] for c in changes] == ["create", "update", "delete"]
    assert {c["object_id"] for c in changes} == {-1}  # one goal, gone, and no row's id
    assert {c["mission_ref"] for c in changes} == {1}
    path = export_to(tmp_path / "acme.zip", cast.org)
    cast.org.delete()

    call_command("import_org", str(path), stdout=io.StringIO())

    imported = Change.objects.filter(subject=Subject.GOAL)
    assert set(imported.values_list("object_id", flat=True)) == {-1}
    assert set(imported.values_list("mission_ref", flat=True)) == {
        Mission.objects.get(slug=mission.slug).pk
    }


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"subject": "report"}, "audit.change 1: subject 'report' is not one of"),
        ({"object_id": 7}, "audit.change 1 refers to missions.mission 7, which is not in the file"),
        (
            {"after": {"owner": "ada"}},
            "audit.change 1 refers to orgs.user 'ada', which is not an id",
        ),
    ],
)
def test_a_change_naming_what_the_file_does_not_hold_is_refused(cast, tmp_path, edit, message):
    MissionFactory(organisation=cast.org)

    def change_first_change(document):
        change = next(r for r in document["objects"] if r["model"] == "audit.change")
        change["fields"] |= edit

    path = edited_export(tmp_path, cast.org, change_first_change)
    cast.org.delete()

    with pytest.raises(CommandError, match=message):
        call_command("import_org", path)

    assert not Organisation.objects.filter(slug="acme").exists()


def test_an_over_long_text_in_the_file_is_refused_with_its_row(cast, tmp_path):
    MissionFactory(organisation=cast.org, title="Zero waste", purpose="Less landfill.")

    def lengthen(document):
        (row,) = [o for o in document["objects"] if o["model"] == "missions.mission"]
        row["fields"]["purpose"] = "x" * 5_000

    path = edited_export(tmp_path, cast.org, lengthen)
    cast.org.delete()

    with pytest.raises(CommandError) as refused:
        call_command("import_org", path)

    assert (
        "missions.mission 1: purpose: Keep this to 1,000 characters or fewer (it has 5,000)."
        in (str(refused.value))
    )
    assert not Organisation.objects.filter(slug="acme").exists()
