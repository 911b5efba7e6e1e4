"""Check-ins in and out of CSV: reading an upload into a plan of what it would save, and
the rows of an export. The rules a reading must follow are shared with `CheckInForm`.
"""

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import models

from core.csv_safety import csv_safe, plain_number, unquote
from core.numbers import parse_number, plain
from core.text import normalise
from metrics.models import (
    MAX_READINGS,
    CheckIn,
    Confidence,
    Metric,
    MetricFormat,
    TooManyReadings,
)
from metrics.services import Reading
from orgs.models import User

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
TOO_LARGE = "The file is larger than 1 MB. Split it into smaller files and import them one by one."

REQUIRED_COLUMNS = ("date", "value")
OPTIONAL_COLUMNS = ("confidence", "comment")
# Written by the exports and read back without complaint, so an export (edited or not)
# can be imported again. `metric` and `current` are checked; the rest are ignored.
EXPORT_COLUMNS = (
    "metric",
    "goal",
    "unit",
    "author",
    "recorded_at",
    "current",
    "replaced_at",
    "replaced_by",
)
COLUMN_ALIASES = {"note": "comment", "for_date": "date"}

COLUMNS_RULE = (
    "The first row must be the column names: date, value, and if you like confidence and comment."
)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


# ---- The rules of a reading, shared with metrics.forms.CheckInForm ----


# ---- Reading an upload ----


class CsvFileError(Exception):
    """The file as a whole can't be read; the message says why and what to do."""


def decode(data: bytes) -> str:
    """The text of an upload: UTF-8 (with or without Excel's byte-order mark), else Windows-1252."""
    if len(data) > MAX_BYTES:
        raise CsvFileError(TOO_LARGE)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise CsvFileError(
            "The file isn't text Waymark can read. Save it as “CSV UTF-8” and upload it again."
        )
    if "\x00" in text:
        raise CsvFileError(
            "This doesn't look like a CSV file. In your spreadsheet, choose Save as and the "
            "CSV format, then upload that file."
        )
    if not text.strip():
        raise CsvFileError("The file is empty.")
    return text


def read_table(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The column names, and the rows that have anything in them, each with its number
    as a spreadsheet shows it (blank rows count, as they do there)."""
    first_line = text.split("\n", 1)[0]
    # Spreadsheets set to a language that writes decimal commas separate cells with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = cells
                continue
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise CsvFileError(
                    f"The file has more than {MAX_ROWS:,} rows. "
                    "Split it into smaller files and import them one by one."
                )
    except csv.Error as error:
        raise CsvFileError(
            f"Row {number + 1} can't be read as CSV. Check the quotes in that row, "
            "or save the file from your spreadsheet again."
        ) from error
    if header is None:
        raise CsvFileError("The file is empty.")
    columns = _columns(header)
    if not rows:
        raise CsvFileError("The file has the column names but no rows of values under them.")
    return columns, rows


def _columns(header: list[str]) -> list[str]:
    columns = []
    for cell in header:
        name = re.sub(r"[\s-]+", "_", cell.strip().lower())
        name = COLUMN_ALIASES.get(name, name)
        if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS + EXPORT_COLUMNS:
            shown = cell.strip() or "an empty cell"
            raise CsvFileError(f"{COLUMNS_RULE} The file's first row has “{shown}”.")
        if name in columns:
            raise CsvFileError(f"{COLUMNS_RULE} The file's first row has “{name}” twice.")
        columns.append(name)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise CsvFileError(f"{COLUMNS_RULE} The file's first row has no “{missing[0]}” column.")
    return columns


def parse_date(text: str) -> date:
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    raise ValidationError(
        f"“{text}” isn't a date. Write dates as 2026-03-31 (or 31/03/2026)."
        if text
        else "Give the date."
    )


def parse_value(metric: Metric, text: str) -> Decimal:
    """A number as people type it in a spreadsheet: 1250, 1,250, 12.5, 42 %, £3,400, 8 MWh,
    yes; decimals and thousands as the organisation writes them (core.numbers), as in
    the check-in form."""
    if not text:
        raise ValidationError("Give a value.")
    if metric.format == MetricFormat.YES_NO and text.lower() in YES | NO:
        return Decimal(1 if text.lower() in YES else 0)
    number = text
    if metric.unit and number.endswith(metric.unit):
        number = number.removesuffix(metric.unit).strip()
    if metric.format == MetricFormat.PERCENTAGE:
        number = number.removesuffix("%").strip()
    if metric.format == MetricFormat.CURRENCY:
        for symbol in (metric.unit, "£", "$", "€"):
            if symbol and number.lstrip("+-").startswith(symbol):
                sign = "-" if number.startswith("-") else ""
                number = sign + number.lstrip("+-").removeprefix(symbol).strip()
                break
    try:
        value = parse_number(number)
    except ValidationError as error:
        if metric.format == MetricFormat.YES_NO:
            raise ValidationError(f"“{text}” isn't yes or no. Write yes, no, 1 or 0.") from None
        advice = (
            error.messages[0]
            if error.code == "format"
            else f"Write numbers like 1250 or {plain(Decimal('12.5'))}."
        )
        raise ValidationError(f"“{text}” isn't a number. {advice}") from None
    # The same limits as the database column, and so as the check-in form.
    value_field = CheckIn._meta.get_field("value")
    assert isinstance(value_field, models.DecimalField)
    DecimalValidator(value_field.max_digits, value_field.decimal_places)(value)
    return value


def parse_confidence(text: str) -> str:
    if not text:
        return Confidence.ON_TRACK
    wanted = re.sub(r"[\s_-]+", " ", text.strip().lower())
    for choice in Confidence:
        if wanted in (choice.value.replace("_", " "), str(choice.label).lower()):
            return choice.value
    raise ValidationError(
        f"“{text}” isn't a confidence. Write on track, at risk or off track (or leave it empty)."
    )


def _same_name(a: str, b: str) -> bool:
    return " ".join(unquote(a).split()).casefold() == " ".join(b.split()).casefold()


class RowStatus(StrEnum):
    NEW = "new"
    REPLACES = "replaces"
    UNCHANGED = "unchanged"
    HISTORY = "history"
    ERROR = "error"


@dataclass
class ImportRow:
    number: int
    cells: dict[str, str]
    for_date: date | None = None
    value: Decimal | None = None
    confidence: str = Confidence.ON_TRACK
    note: str = ""
    errors: list[str] = field(default_factory=list)
    status: RowStatus = RowStatus.NEW
    # The current check-in this row would correct.
    replaces: CheckIn | None = None

    @property
    def saves(self) -> bool:
        return self.status in (RowStatus.NEW, RowStatus.REPLACES)

    def get_confidence_display(self) -> str:
        return str(Confidence(self.confidence).label)


@dataclass
class ImportPlan:
    rows: list[ImportRow]

    @property
    def errors(self) -> list[ImportRow]:
        return [row for row in self.rows if row.status == RowStatus.ERROR]

    @property
    def to_save(self) -> list[ImportRow]:
        return sorted(
            (row for row in self.rows if row.saves), key=lambda row: row.for_date or date.min
        )

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status.value: self.count(status) for status in RowStatus}

    def readings(self) -> list[Reading]:
        """What confirming saves: only for a plan without errors."""
        assert not self.errors
        return [
            Reading(row.for_date, row.value, row.confidence, row.note)
            for row in self.to_save
            if row.for_date is not None and row.value is not None
        ]

    def fingerprint(self) -> str:
        """What confirming would save, so a confirm can tell that the metric has moved on."""
        digest = hashlib.sha256()
        for row in self.to_save:
            replaced = row.replaces.uid if row.replaces else ""
            digest.update(f"{row.for_date}|{row.value}|{row.confidence}|{replaced}\n".encode())
            digest.update(row.note.encode() + b"\x00")
        return digest.hexdigest()


def plan_import(
    text: str, metric: Metric, *, today: date, current: Mapping[date, CheckIn]
) -> ImportPlan:
    """Every row of a CSV read and checked against the metric, and what saving would do.

    `current` is the metric's current check-in for each date. Nothing is written; a
    file that can't be read at all, or would take the metric past MAX_READINGS current
    readings, raises `CsvFileError`.
    """
    columns, table = read_table(text)
    rows: list[ImportRow] = []
    first_row_for: dict[date, int] = {}
    for number, cells in table:
        row = ImportRow(
            number=number,
            cells={
                name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(columns)
            },
        )
        row.note = normalise(unquote(row.cells.get("comment", "")))
        rows.append(row)
        if row.cells.get("current", "").lower() in NO:
            # A value the metric export lists as replaced: history, not a reading to save.
            row.status = RowStatus.HISTORY
            continue
        if any(cell.strip() for cell in cells[len(columns) :]):
            row.errors.append("This row has more cells than the first row has column names.")
        _check_row(row, metric, today)
        if row.for_date is not None:
            if row.for_date in first_row_for:
                row.errors.append(
                    f"Row {first_row_for[row.for_date]} is for the same date: "
                    "give one value per date."
                )
            else:
                first_row_for[row.for_date] = number
        if row.errors:
            row.status = RowStatus.ERROR
            continue
        assert row.for_date is not None
        row.replaces = current.get(row.for_date)
        if row.replaces is None:
            row.status = RowStatus.NEW
        elif (row.replaces.value, row.replaces.confidence, row.replaces.note) == (
            row.value,
            row.confidence,
            row.note,
        ):
            row.status = RowStatus.UNCHANGED
        else:
            row.status = RowStatus.REPLACES
    plan = ImportPlan(rows)
    adding = plan.count(RowStatus.NEW)
    if len(current) + adding > MAX_READINGS:
        raise CsvFileError(TooManyReadings(metric, adding).message)
    return plan


def _check_row(row: ImportRow, metric: Metric, today: date) -> None:
    cells = row.cells
    if "metric" in cells and not _same_name(cells["metric"], metric.name):
        named = cells["metric"] or "no metric"
        row.errors.append(
            f"Unknown metric: this row is for “{named}”, and this page imports values "
            f"for “{metric.name}” only."
        )
    try:
        row.for_date = parse_date(cells.get("date", ""))
        metric.check_reading_date(row.for_date, today)
    except ValidationError as error:
        row.errors.extend(error.messages)
    try:
        row.value = parse_value(metric, cells.get("value", ""))
        metric.check_reading(row.value)
    except ValidationError as error:
        row.value = None
        row.errors.extend(error.messages)
    try:
        row.confidence = parse_confidence(cells.get("confidence", ""))
    except ValidationError as error:
        row.errors.extend(error.messages)
    try:
        CheckIn._meta.get_field("note").run_validators(row.note)
    except ValidationError as error:
        row.errors.extend(f"The comment is too long. {message}" for message in error.messages)


def current_checkins(metric: Metric) -> dict[date, CheckIn]:
    return {c.for_date: c for c in metric.checkins.filter(is_current=True)}


# ---- Exports ----

METRIC_EXPORT_HEADER = [
    "date",
    "value",
    "confidence",
    "comment",
    "author",
    "recorded_at",
    "current",
    "replaced_at",
    "replaced_by",
]
MISSION_EXPORT_HEADER = [
    "metric",
    "goal",
    "unit",
    "date",
    "value",
    "confidence",
    "comment",
    "author",
    "recorded_at",
]


def _when(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _name(user: User | None) -> str:
    return user.display_name if user else ""


def metric_export_rows(checkins: Iterable[CheckIn], zone: tzinfo) -> Iterator[list[str]]:
    """Every check-in, current or replaced, its times in `zone`. Needs `author` and
    `correction__author` loaded."""
    yield METRIC_EXPORT_HEADER
    for checkin in checkins:
        correction: CheckIn | None = getattr(checkin, "correction", None)
        row = [
            checkin.for_date.isoformat(),
            plain_number(checkin.value),
            checkin.confidence,
            checkin.note,
            _name(checkin.author),
            _when(checkin.created_at, zone),
            "yes" if checkin.is_current else "no",
            _when(correction.created_at, zone) if correction else "",
            _name(correction.author) if correction else "",
        ]
        yield [csv_safe(cell) for cell in row]


def mission_export_rows(checkins: Iterable[CheckIn], zone: tzinfo) -> Iterator[list[str]]:
    """Current check-ins of several metrics, their times in `zone`. Needs `metric__goal`
    and `author` loaded."""
    yield MISSION_EXPORT_HEADER
    for checkin in checkins:
        metric = checkin.metric
        row = [
            metric.name,
            metric.goal.title if metric.goal else "",
            metric.unit,
            checkin.for_date.isoformat(),
            plain_number(checkin.value),
            checkin.confidence,
            checkin.note,
            _name(checkin.author),
            _when(checkin.created_at, zone),
        ]
        yield [csv_safe(cell) for cell in row]
