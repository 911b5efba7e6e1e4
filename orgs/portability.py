"""An organisation's data out of Waymark as one zip, and back into another Waymark.

The zip holds:

- ``organisation.json``: ``{"format": "waymark-organisation", "version": 1,
  "organisation": <slug>, "exported_at": <ISO 8601>, "objects": [...]}``, where
  ``objects`` is in Django's serialisation format (``{"model": "missions.goal",
  "pk": 3, "fields": {...}}``): every row of every model that belongs to the
  organisation, found from the app registry, and the people those rows name. Models
  come in an order that loads (a row after the rows it refers to), rows in id order.
  Ids are the file's own, 1, 2, 3 … for each model: a foreign key or a many-to-many
  list holds the ``pk`` of another object in the file. Datetimes are UTC with their
  microseconds.
- ``csv/<app>_<model>.csv``: the same rows, one file per model, for spreadsheets. The
  ``id`` column is the ``pk`` above; a column naming another model holds that row's
  ``id`` in that model's file. Cells a spreadsheet would run as a formula start with
  an apostrophe.
- Ids kept without a foreign key (a change in the history names its row, mission and
  metric, and the people and goals in its before and after, by plain id, so that it
  outlives them; see `SoftReferences`) are renumbered the same way. One naming a row
  that is gone is numbered -1, -2 … for each model, the same number wherever the file
  names that row; an import keeps it, so it never meets a real row.
- ``README.txt``: the above, for whoever opens the zip.

Left out on purpose, so the file opens nothing and carries no credentials: people's
password hashes, last logins and what they may do on the server that exported it
(active, staff and superuser flags, groups, permissions, session generation); the
tokens of share links and invitations. Imported people get no usable password (they
choose one through "Forgotten your password?"), imported share links and invitations
get fresh tokens.

``organisation_import`` loads a file into another database in one transaction. Rows
get new ids from the database, so nothing collides with the organisations already
there and PostgreSQL's sequences stay right without a reset; the UUIDs and slugs in
page addresses are kept. Someone who already has an account (the same email) is
linked to it and their account is left as it is.
"""

import csv
import io
import json
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from functools import cache, partial
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, models, transaction
from django.dispatch import Signal
from django.utils import timezone

from core import dates
from core.csv_safety import csv_safe, plain_number
from orgs.models import Organisation, OrganisationSlug, User

FORMAT = "waymark-organisation"
VERSION = 1
JSON_NAME = "organisation.json"
# The most an import unpacks, in all, before refusing the file: many times a large
# organisation's export. What a zip says of its sizes is checked before anything is
# unpacked, and what is unpacked is counted as it comes, in chunks of READ_CHUNK.
MAX_IMPORT_BYTES = 512 * 1024 * 1024
READ_CHUNK = 1024 * 1024

# People belong to the server, not to one organisation: the file says who they are and
# how they like their email, nothing that would let anyone log in as them or make them
# staff of the server that imports it. An import reads only these fields.
USER_FIELDS = (
    "email",
    "name",
    "date_joined",
    "time_zone",
    "reminder_hour",
    "receive_reminders",
    "receive_digest",
    "digest_weekday",
)
USER_FIELDS_LEFT_OUT = (
    "password",
    "last_login",
    "is_active",
    "is_staff",
    "is_superuser",
    "groups",
    "user_permissions",
    "session_generation",
)
# Whoever holds a token opens a share page or joins the organisation. Only their digests
# are stored, but a link must not start working on another site either: imported rows
# get digests of tokens nobody was given.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "api.apitoken": ("token_hash",),  # an API token works on the site that issued it only
    "missions.sharelink": ("token_hash",),
    "orgs.invitation": ("token_hash",),
}


class ExportBroken(Exception):
    """A row refers outside its organisation: the data is wrong, and nothing is exported."""


class ImportRefused(Exception):
    """The file can't be loaded here; the message says why and what to do."""


# ---- Which models belong to an organisation ----------------------------------------------


Number = Callable[[type[models.Model], Any], Any]


@dataclass(frozen=True)
class SoftReferences:
    """Ids of other rows that a model keeps in plain fields or inside JSON rather than in
    foreign keys, so that they outlive the row they name. An app declares them in its
    AppConfig's `soft_references()`, {model: SoftReferences}, and the export and the import
    renumber them as they do foreign keys."""

    # Every model they may name: rows of these load first.
    targets: frozenset[type[models.Model]]
    # A row's fields (by name) with each such id replaced by number(model it names, id),
    # the others as they were. A field it can't read raises ValueError.
    renumber: Callable[[dict[str, Any], Number], dict[str, Any]]


@cache
def soft_references() -> dict[type[models.Model], SoftReferences]:
    found: dict[type[models.Model], SoftReferences] = {}
    for config in apps.get_app_configs():
        declared = getattr(config, "soft_references", None)
        if declared is not None:
            found |= declared()
    return found


def _soft_targets(model: type[models.Model]) -> frozenset[type[models.Model]]:
    declared = soft_references().get(model)
    return declared.targets if declared is not None else frozenset()


def _relations(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """The model's foreign keys and one-to-ones, the ones that hold another row's id."""
    return [field for field in model._meta.concrete_fields if isinstance(field, models.ForeignKey)]


def _m2m_fields(model: type[models.Model]) -> list[models.ManyToManyField[Any, Any]]:
    """Many-to-many fields whose table Django made; a `through` model is a model of its own."""
    return [
        field
        for field in model._meta.many_to_many
        if isinstance(field, models.ManyToManyField)
        and field.remote_field.through is not None
        and field.remote_field.through._meta.auto_created
    ]


def _lookup_to_organisation(
    model: type[models.Model], visiting: frozenset[type[models.Model]]
) -> tuple[str, bool] | None:
    """The chain of foreign keys from `model` to Organisation, as a lookup, and whether
    a link in it may be empty. A chain that can't be empty wins, then the shortest: a
    row must not be missed because one of its references is blank."""
    if model is Organisation:
        return "", False
    best: tuple[str, bool] | None = None
    for field in _relations(model):
        target = field.related_model
        assert isinstance(target, type)
        if target in visiting:
            continue
        rest = _lookup_to_organisation(target, visiting | {model})
        if rest is None:
            continue
        lookup = f"{field.name}__{rest[0]}" if rest[0] else field.name
        chain = (lookup, field.null or rest[1])
        if best is None or (chain[1], chain[0].count("__")) < (best[1], best[0].count("__")):
            best = chain
    return best


@cache
def organisation_models() -> dict[type[models.Model], str]:
    """Every installed model whose rows belong to one organisation, in an order that
    loads (each after the models it refers to, by foreign key or soft reference), with
    the lookup from it to its organisation ("" for Organisation itself).

    Found from the app registry, so a new model that refers to an organisation, or to
    a row that does, is exported without anyone remembering to add it here.
    """
    found = {}
    for model in apps.get_models():
        chain = _lookup_to_organisation(model, frozenset())
        if chain is not None:
            found[model] = chain[0]
    ordered: dict[type[models.Model], str] = {}
    while len(ordered) < len(found):
        ready = [
            model
            for model in found
            if model not in ordered
            and all(
                target in ordered or target is model
                for target in [
                    *(field.related_model for field in _relations(model)),
                    *_soft_targets(model),
                ]
                if target in found
            )
        ]
        if not ready:
            stuck = sorted(m._meta.label for m in found if m not in ordered)
            raise RuntimeError(f"These models refer to each other in a circle: {stuck}")
        for model in ready:
            ordered[model] = found[model]
    return ordered


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _fields_kept(model: type[models.Model]) -> list[str] | None:
    """The fields an export writes; None for all of them."""
    if model is User:
        return list(USER_FIELDS)
    secret = SECRET_FIELDS.get(_label(model))
    if not secret:
        return None
    names = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    return [name for name in names + [f.name for f in _m2m_fields(model)] if name not in secret]


# ---- Export ---------------------------------------------------------------------------------


class ExportEncoder(DjangoJSONEncoder):
    """Django's encoder, but keeping microseconds (Django's drops all but milliseconds),
    so a row comes back exactly as it was."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            if timezone.is_aware(o):
                o = o.astimezone(UTC)
            return o.isoformat()
        if isinstance(o, time):
            return o.isoformat()
        return super().default(o)


Record = dict[str, Any]


def _serialise(queryset: models.QuerySet[Any], fields: list[str] | None) -> list[Record]:
    records: list[Record] = serializers.serialize("python", queryset, fields=fields)
    return records


def _rows(organisation: Organisation) -> dict[type[models.Model], list[Record]]:
    """Every row of the organisation, model by model, with the database's ids.

    One query a model (two when it has a many-to-many), however many rows there are.
    """
    rows: dict[type[models.Model], list[Record]] = {}
    for model, lookup in organisation_models().items():
        queryset = model._base_manager.filter(**{lookup or "pk": organisation.pk})
        m2m = [field.name for field in _m2m_fields(model)]
        if m2m:
            queryset = queryset.prefetch_related(*m2m)
        rows[model] = _serialise(queryset.order_by("pk"), _fields_kept(model))
    named = {
        record["fields"][field.name]
        for model, records in rows.items()
        for field in _relations(model)
        if field.related_model is User
        for record in records
        if record["fields"].get(field.name) is not None
    }

    # People the history names (an owner before a change) who are named nowhere else.
    def note(target: type[models.Model], old: Any) -> Any:
        if target is User:
            named.add(old)
        return old

    for model, declared in soft_references().items():
        for record in rows.get(model, []):
            declared.renumber(record["fields"], note)
    people = User._base_manager.filter(pk__in=named).order_by("pk")
    return {
        Organisation: rows.pop(Organisation),
        User: _serialise(people, list(USER_FIELDS)),
    } | rows


def _renumbered(
    organisation: Organisation, rows: dict[type[models.Model], list[Record]]
) -> list[Record]:
    """The rows with ids of the file's own (1, 2, 3 … for each model), so the file says
    nothing about how many rows other organisations on the server have."""
    numbers = {
        model: {record["pk"]: number for number, record in enumerate(records, start=1)}
        for model, records in rows.items()
    }

    def number_of(record: Record, target: type[models.Model], old: Any) -> int:
        try:
            return numbers[target][old]
        except KeyError:
            raise ExportBroken(
                f"{record['model']} {record['pk']} refers to {_label(target)} {old}, "
                f"which is not part of {organisation.slug}."
            ) from None

    gone: dict[type[models.Model], dict[Any, int]] = defaultdict(dict)

    def soft_number(target: type[models.Model], old: Any) -> int:
        """A row that is gone (or was never the organisation's) keeps being one row, under
        a number no row has."""
        found = numbers.get(target, {}).get(old)
        if found is not None:
            return found
        return gone[target].setdefault(old, -len(gone[target]) - 1)

    objects = []
    for model, records in rows.items():
        relations = (
            [f for f in _relations(model) if f.name in records[0]["fields"]] if records else []
        )
        m2m = [f for f in _m2m_fields(model) if records and f.name in records[0]["fields"]]
        soft = soft_references().get(model)
        for record in records:
            fields = dict(record["fields"])
            for field in relations:
                if fields[field.name] is not None:
                    target = field.related_model
                    assert isinstance(target, type)
                    fields[field.name] = number_of(record, target, fields[field.name])
            for many in m2m:
                target = many.related_model
                assert isinstance(target, type)
                fields[many.name] = sorted(
                    number_of(record, target, pk) for pk in fields[many.name]
                )
            if soft is not None:
                fields = soft.renumber(fields, soft_number)
            objects.append(
                {"model": record["model"], "pk": numbers[model][record["pk"]], "fields": fields}
            )
    return objects


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, datetime | time):
        return str(ExportEncoder().default(value))
    if isinstance(value, dict):
        return json.dumps(value, cls=ExportEncoder, ensure_ascii=False)
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return str(value.isoformat() if hasattr(value, "isoformat") else value)


def _csv_files(objects: list[Record]) -> dict[str, str]:
    by_model: dict[str, list[Record]] = defaultdict(list)
    for record in objects:
        by_model[record["model"]].append(record)
    files = {}
    for label, records in by_model.items():
        columns = list(records[0]["fields"])
        out = io.StringIO()
        out.write("\ufeff")  # so that Excel reads the file as UTF-8 (£, é, –)
        writer = csv.writer(out)
        writer.writerow(["id", *columns])
        for record in records:
            cells = [str(record["pk"]), *(_cell(record["fields"][c]) for c in columns)]
            writer.writerow([csv_safe(cell) for cell in cells])
        files[f"csv/{label.replace('.', '_')}.csv"] = out.getvalue()
    return files


README = """\
{name}: everything Waymark holds for the organisation, exported {when}.

organisation.json  Every row, in Django's serialisation format, in an order that loads.
                   `manage.py import_org <this zip>` loads it into another Waymark.
csv/               The same rows, one file per kind of thing, for spreadsheets. The id
                   column numbers the rows of one file; a column naming another file
                   (mission, goal, author …) holds the id of a row there. In the
                   history (audit_change.csv) so do object_id (a row of the file its
                   subject names), mission_ref, metric_ref and the ids in before and
                   after; a negative one names a row deleted before the export.

Left out on purpose: passwords, and the secret part of share links and invitations.
Share links made after an import have new addresses; people who are imported choose
a password with "Forgotten your password?".
"""


def organisation_export(organisation: Organisation) -> bytes:
    """The organisation's zip: organisation.json, one CSV per model and a README."""
    objects = _renumbered(organisation, _rows(organisation))
    now = timezone.now()
    document = {
        "format": FORMAT,
        "version": VERSION,
        "organisation": organisation.slug,
        "exported_at": now,
        "objects": objects,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            JSON_NAME, json.dumps(document, cls=ExportEncoder, indent=1, ensure_ascii=False)
        )
        for name, text in _csv_files(objects).items():
            archive.writestr(name, text)
        local = timezone.localtime(now, organisation.zone())
        when = f"{dates.day_month_year_in_full(local)} at {local:%H:%M}"
        archive.writestr("README.txt", README.format(name=organisation.name, when=when))
    return buffer.getvalue()


# ---- Import ---------------------------------------------------------------------------------


@dataclass
class Imported:
    organisation: Organisation
    rows: int
    people_created: int
    people_found: int


def _too_large(what: str, size: int, max_bytes: int) -> ImportRefused:
    return ImportRefused(
        f"{what} unpacks to {size:,} bytes, more than the {max_bytes:,} an import reads. "
        "Use the zip Waymark's export gave you, unchanged; for an organisation that large, "
        "run import_org with a larger --max-mb."
    )


def _unpacked(archive: zipfile.ZipFile, max_bytes: int) -> bytes:
    """organisation.json, refused (ImportRefused) if the zip says it, or all it holds,
    unpacks to more than `max_bytes`, or if it turns out to as it is read."""
    members = archive.infolist()
    declared = sum(member.file_size for member in members)
    if declared > max_bytes:
        raise _too_large("The zip", declared, max_bytes)
    member = archive.getinfo(JSON_NAME)  # KeyError if it has none
    chunks, read = [], 0
    with archive.open(member) as unpacking:
        while chunk := unpacking.read(READ_CHUNK):
            read += len(chunk)
            if read > max_bytes:
                raise _too_large(JSON_NAME, read, max_bytes)
            chunks.append(chunk)
    return b"".join(chunks)


def _document(file: IO[bytes], max_bytes: int) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(file) as archive:
            text = _unpacked(archive, max_bytes)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise ImportRefused(
            "The file is not a zip. Use the zip Waymark's export gave you."
        ) from None
    except KeyError:
        raise ImportRefused(
            f"The zip has no {JSON_NAME}. Use the zip Waymark's export gave you, unchanged."
        ) from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ImportRefused(f"{JSON_NAME} is not valid JSON ({error}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportRefused(f"{JSON_NAME} is not a Waymark organisation export.")
    if document.get("version") != VERSION:
        raise ImportRefused(
            f"The export is version {document.get('version')!r}; this Waymark reads version "
            f"{VERSION}. Import it into the Waymark version it came from, or a newer one."
        )
    if not isinstance(document.get("objects"), list):
        raise ImportRefused(f"{JSON_NAME} has no list of objects.")
    return document


def _by_model(objects: list[Any]) -> dict[type[models.Model], list[Record]]:
    loadable = {User, *organisation_models()}
    grouped: dict[type[models.Model], list[Record]] = defaultdict(list)
    for record in objects:
        if not isinstance(record, dict) or not isinstance(record.get("fields"), dict):
            raise ImportRefused(f"{JSON_NAME} holds something that is not a row: {record!r:.80}")
        try:
            model = apps.get_model(str(record.get("model")))
        except (LookupError, ValueError):
            raise ImportRefused(
                f"The export holds {record.get('model')!r} rows, which this Waymark does not "
                "know. Import it into the Waymark version it came from, or a newer one."
            ) from None
        if model not in loadable:
            raise ImportRefused(f"{_label(model)} rows do not belong to an organisation.")
        grouped[model].append(record)
    organisations = grouped.get(Organisation, [])
    if len(organisations) != 1:
        raise ImportRefused(
            f"The export must hold one organisation; it holds {len(organisations)}."
        )
    return grouped


class _Loader:
    """Rows from the file into the database, each under a new id."""

    def __init__(self) -> None:
        self.ids: dict[type[models.Model], dict[Any, Any]] = defaultdict(dict)
        self.rows = 0

    def new_id(self, record: Record, target: type[models.Model], old: Any) -> Any:
        try:
            return self.ids[target][old]
        except KeyError:
            raise ImportRefused(
                f"{record['model']} {record['pk']} refers to {_label(target)} {old}, "
                "which is not in the file."
            ) from None

    def soft_id(self, record: Record, target: type[models.Model], old: Any) -> Any:
        if not isinstance(old, int) or isinstance(old, bool):
            raise ImportRefused(
                f"{record['model']} {record['pk']} refers to {_label(target)} {old!r}, "
                "which is not an id."
            )
        return old if old < 0 else self.new_id(record, target, old)  # < 0: it was gone

    def values(self, model: type[models.Model], record: Record) -> dict[str, Any]:
        """The row's fields as Python values, each checked by its field and its validators."""
        values = {}
        for name, value in record["fields"].items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                raise ImportRefused(
                    f"{record['model']} has no field {name!r} in this Waymark. Import the file "
                    "into the Waymark version it came from, or a newer one."
                ) from None
            if field.is_relation or not getattr(field, "concrete", False):
                continue
            try:
                values[field.attname] = field.to_python(value)  # type: ignore[union-attr]
                # What the forms check (lengths, ranges) holds for imported rows too.
                field.run_validators(values[field.attname])  # type: ignore[union-attr]
            except ValidationError as error:
                raise ImportRefused(
                    f"{record['model']} {record['pk']}: {name}: {' '.join(error.messages)}"
                ) from None
        return values

    def people(self, records: list[Record]) -> tuple[int, int]:
        created = found = 0
        for record in records:
            # Only who they are: a file edited to make someone staff or give them a
            # password must not do so.
            values = {
                name: value
                for name, value in self.values(User, record).items()
                if name in USER_FIELDS
            }
            email = str(values.get("email", "")).strip().lower()
            if not email:
                raise ImportRefused(f"orgs.user {record['pk']} has no email address.")
            person = User.objects.filter(email__iexact=email).first()
            if person is None:
                person = User(**values | {"email": email})
                person.set_unusable_password()
                person.save()
                created += 1
            else:
                found += 1
            self.ids[User][record["pk"]] = person.pk
        return created, found

    def load(self, model: type[models.Model], records: list[Record]) -> None:
        secret = SECRET_FIELDS.get(_label(model), ())
        relations = _relations(model)
        soft = soft_references().get(model)
        later: list[tuple[Any, str, Any, Record]] = []
        m2m: list[tuple[models.Model, models.ManyToManyField[Any, Any], list[Any], Record]] = []
        for record in sorted(records, key=lambda r: r["pk"]):
            values = self.values(model, record)
            for name in secret:
                values.pop(name, None)  # a fresh one, from the field's default
            if soft is not None:
                try:
                    # Its fields are plain (name and attribute alike): none is a relation.
                    values = soft.renumber(values, partial(self.soft_id, record))
                except ValueError as error:
                    raise ImportRefused(f"{record['model']} {record['pk']}: {error}") from None
            fields = record["fields"]
            for field in relations:
                old = fields.get(field.name)
                if old is None:
                    continue
                target = field.related_model
                assert isinstance(target, type)
                if target is model and old not in self.ids[model]:
                    later.append((record["pk"], field.attname, old, record))
                    continue
                values[field.attname] = self.new_id(record, target, old)
            row = model(**values)
            # Raw, as loaddata saves: created_at and updated_at keep the file's values. And
            # past AuditedModel.save, so the import records no history of its own: the
            # history is the file's (the update below is the plain base manager's, too).
            row.save_base(raw=True, force_insert=True)
            self.ids[model][record["pk"]] = row.pk
            self.rows += 1
            for many in _m2m_fields(model):
                if fields.get(many.name):
                    m2m.append((row, many, fields[many.name], record))
        for old_pk, attname, old_target, record in later:
            model._base_manager.filter(pk=self.ids[model][old_pk]).update(
                **{attname: self.new_id(record, model, old_target)}
            )
        for row, many, old_ids, record in m2m:
            target = many.related_model
            assert isinstance(target, type)
            getattr(row, many.name).add(*(self.new_id(record, target, old) for old in old_ids))


# Sent with `organisation` once an import has loaded every row, inside its transaction.
# Rows are saved raw, as loaddata saves them, so receivers of post_save leave them alone;
# whatever derives figures from rows (metrics.figures) recomputes them here.
organisation_imported = Signal()


def organisation_import(file: IO[bytes], *, max_bytes: int = MAX_IMPORT_BYTES) -> Imported:
    """Load an export into this database, all of it or (on any problem) none of it.

    A zip that unpacks to more than `max_bytes` is refused before it is unpacked."""
    document = _document(file, max_bytes)
    grouped = _by_model(document["objects"])
    slug = grouped[Organisation][0]["fields"].get("slug", "")
    if Organisation.objects.filter(slug=slug).exists():
        raise ImportRefused(
            f"An organisation at /o/{slug}/ already exists in this database. An import makes "
            "the organisation anew: delete that one first, or import into another database."
        )
    if OrganisationSlug.reserved(slug):
        raise ImportRefused(
            f"The address /o/{slug}/ belonged to another organisation in this database, and "
            "stays its own. Change the slug in the file's organisation.json, or import into "
            "another database."
        )
    loader = _Loader()
    try:
        with transaction.atomic():
            created, found = loader.people(grouped.get(User, []))
            for model in organisation_models():
                loader.load(model, grouped.get(model, []))
            organisation = Organisation.objects.get(
                pk=loader.ids[Organisation][grouped[Organisation][0]["pk"]]
            )
            # Files from before addresses were kept hold none: its current one, at least.
            OrganisationSlug.objects.get_or_create(
                slug=organisation.slug, organisation=organisation
            )
            organisation_imported.send(Organisation, organisation=organisation)
    except DatabaseError as error:
        raise ImportRefused(
            f"The file does not fit this database, so nothing was imported: {error}".strip()
        ) from None
    return Imported(organisation, loader.rows, created, found)
