import csv
import datetime
import html
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import csv_safety
from metrics import csv_io, services
from metrics.models import CheckIn, Metric
from metrics.services import checkin_record
from tests.factories import GoalFactory, MetricFactory, MissionFactory

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def mission(cast):
    return MissionFactory(
        organisation=cast.org, title="Net zero", slug="net-zero", owner=cast.member
    )


@pytest.fixture
def metric(mission):
    return MetricFactory(
        goal=GoalFactory(mission=mission, title="Cut emissions"),
        name="Energy use",
        unit="MWh",
        baseline_value=Decimal("100"),
        baseline_on=datetime.date(2026, 1, 1),
        target_value=Decimal("50"),
        target_on=datetime.date(2028, 1, 1),
        direction="decrease",
    )


def import_url(metric: Metric) -> str:
    return reverse("metrics:import", args=["acme", metric.mission.slug, metric.uid])


def export_url(metric: Metric) -> str:
    return reverse("metrics:export", args=["acme", metric.mission.slug, metric.uid])


def mission_export_url(mission) -> str:
    return reverse("metrics:mission_export", args=["acme", mission.slug])


def upload(client, metric: Metric, content: str | bytes, name: str = "history.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(import_url(metric), {"file": SimpleUploadedFile(name, data, "text/csv")})


def record(metric: Metric, author, on: datetime.date, value: str, **extra) -> CheckIn:
    extra.setdefault("confidence", "on_track")
    return checkin_record(metric, value=Decimal(value), for_date=on, author=author, **extra)


def page(response) -> str:
    """The page as people read it, with HTML's escaped quotes turned back into quotes."""
    return html.unescape(response.content.decode())


def read_csv(response) -> list[dict[str, str]]:
    assert response.streaming  # written as it is sent, never whole in memory
    text = response.getvalue().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# ---- Importing: the happy path ----


def test_the_import_page_explains_the_columns(cast, login, metric):
    response = login(cast.member).get(import_url(metric))
    assert response.status_code == 200
    for words in ("date", "value", "confidence", "comment", "31/03/2026", "1 Jan 2026"):
        assert words in page(response)
    assert 'type="file"' in page(response)


def test_the_preview_shows_every_row_and_saves_nothing(cast, login, metric):
    record(metric, cast.member, datetime.date(2026, 2, 28), "100")
    client = login(cast.member)

    response = upload(
        client,
        metric,
        "date,value,confidence,comment\n"
        "2026-01-31,90,,\n"
        '28/02/2026,95,At risk,"Late boiler, again"\n'
        '2026-03-31,"1,200",off_track,\n',
    )

    assert response.status_code == 200
    assert "Preview: nothing is saved yet" in page(response)
    assert [row.status for row in response.context["plan"].rows] == ["new", "replaces", "new"]
    assert "Replaces 100 MWh" in page(response)
    assert "1,200 MWh" in page(response)
    assert "Import 3 values" in page(response)
    assert CheckIn.objects.count() == 1


def test_confirming_saves_every_row_and_a_replaced_value_stays_in_the_history(cast, login, metric):
    earlier = record(metric, cast.member, datetime.date(2026, 2, 28), "100")
    client = login(cast.admin)
    preview = upload(
        client,
        metric,
        "date,value,confidence,comment\n2026-01-31,90,,\n28/02/2026,95,At risk,Late boiler\n",
    )

    response = client.post(import_url(metric), {"payload": preview.context["payload"]})

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "metrics:detail", args=["acme", metric.mission.slug, metric.uid]
    )
    current = CheckIn.objects.filter(metric=metric, is_current=True).order_by("for_date")
    assert [(c.for_date.day, c.value, c.confidence) for c in current] == [
        (31, Decimal("90"), "on_track"),
        (28, Decimal("95"), "at_risk"),
    ]
    correction = current.get(for_date=datetime.date(2026, 2, 28))
    assert correction.corrects == earlier
    assert correction.note == "Late boiler"
    assert correction.author == cast.admin
    earlier.refresh_from_db()
    assert not earlier.is_current and earlier.value == Decimal("100")
    metric.refresh_from_db()
    assert (metric.latest_value, metric.latest_on) == (Decimal("95"), datetime.date(2026, 2, 28))
    follow = client.get(response["Location"])
    assert "Imported 2 values for Energy use. 1 of them replaced an earlier value" in page(follow)


def test_confirming_the_same_preview_twice_saves_once(cast, login, metric):
    client = login(cast.member)
    preview = upload(client, metric, "date,value\n2026-03-01,90\n")
    client.post(import_url(metric), {"payload": preview.context["payload"]})

    again = client.post(import_url(metric), {"payload": preview.context["payload"]})

    assert again.status_code == 409
    assert "changed since your preview" in page(again)
    assert "Already stored" in page(again)
    assert CheckIn.objects.count() == 1


def test_the_confirm_checks_the_rows_again(cast, login, metric):
    client = login(cast.member)
    preview = upload(client, metric, "date,value\n2026-03-01,90\n")
    record(metric, cast.admin, datetime.date(2026, 3, 1), "80")  # someone else, meanwhile

    response = client.post(import_url(metric), {"payload": preview.context["payload"]})

    assert response.status_code == 409
    assert "nothing was saved" in page(response)
    assert "Replaces 80 MWh" in page(response)
    assert CheckIn.objects.get().value == Decimal("80")


def test_a_file_whose_values_are_all_stored_already_has_nothing_to_import(cast, login, metric):
    record(metric, cast.member, datetime.date(2026, 3, 1), "90")
    response = upload(login(cast.member), metric, "date,value\n2026-03-01,90.00\n")
    assert response.status_code == 200
    assert "Nothing to import" in page(response)
    assert not response.context["payload"]


def test_spreadsheet_habits_are_understood(cast, login, metric):
    """Excel's byte-order mark, semicolons, Windows-1252 text, labels and blank lines."""
    content = "\ufeffDate;Value;Confidence;Note\r\n\r\n01/03/2026;90,5;Off track;Café\r\n"
    response = upload(login(cast.member), metric, content.encode("cp1252", errors="ignore"))
    # "90,5" is a decimal comma: refused rather than read as 905.
    assert "“90,5” isn't a number" in page(response)

    content = "\ufeffDate;Value;Confidence;Note\r\n\r\n01/03/2026;90.5;Off track;Café\r\n"
    response = upload(login(cast.member), metric, content.encode())
    (row,) = response.context["plan"].rows
    assert (row.number, row.for_date, row.value, row.confidence, row.note) == (
        3,
        datetime.date(2026, 3, 1),
        Decimal("90.5"),
        "off_track",
        "Café",
    )

    response = upload(
        login(cast.member), metric, "date,value,comment\n2026-03-01,5,Café\n".encode("cp1252")
    )
    assert response.context["plan"].rows[0].note == "Café"


def test_yes_no_and_percentage_values_follow_the_metric_format(cast, login, mission):
    yes_no = MetricFactory(goal__mission=mission, format="yes_no", baseline_value=0, target_value=1)
    response = upload(login(cast.member), yes_no, "date,value\n2026-03-01,Yes\n2026-03-02,0\n")
    assert [row.value for row in response.context["plan"].rows] == [1, 0]

    percentage = MetricFactory(goal__mission=mission, format="percentage")
    response = upload(
        login(cast.member), percentage, "date,value\n2026-03-01,42 %\n2026-03-02,120\n"
    )
    assert response.status_code == 400
    assert response.context["plan"].rows[0].value == Decimal("42")
    assert "A percentage is between 0 and 100." in page(response)


# ---- Importing: bad input gets a message and saves nothing ----


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "date,value\n2026-03-01,lots\n",
            "“lots” isn't a number. Write numbers like 1250 or 12.5.",
        ),
        ("date,value\n2026-03-01,\n", "Give a value."),
        ("date,value\n2026-03-01,NaN\n", "“NaN” isn't a number."),
        (
            "date,value\n2026-03-01,1.23456\n",
            "Ensure that there are no more than 4 decimal places.",
        ),
        ("date,value\n2026-06-16,5\n", "A check-in can’t be for a date in the future."),
        ("date,value\n2025-12-31,5\n", "That is before the baseline date (1 Jan 2026)."),
        ("date,value\n31/02/2026,5\n", "“31/02/2026” isn't a date. Write dates as 2026-03-31"),
        ("date,value\n03/31/2026,5\n", "“03/31/2026” isn't a date."),
        ("date,value\n,5\n", "Give the date."),
        ("date,value,confidence\n2026-03-01,5,maybe\n", "“maybe” isn't a confidence."),
        (
            "date,value\n2026-03-01,5,6\n",
            "This row has more cells than the first row has column names.",
        ),
        ("date,value\n2026-03-01,5\n01/03/2026,6\n", "Row 2 is for the same date"),
        (
            "metric,date,value\nEnergy use,2026-03-01,5\nWater use,2026-03-02,6\n",
            "Unknown metric: this row is for “Water use”",
        ),
        ("date,value\n2026-03-01,5\n2026-03-02,lots\n", "“lots” isn't a number."),
    ],
    ids=[
        "not a number",
        "no value",
        "nan",
        "too precise",
        "future",
        "before baseline",
        "no such date",
        "american date",
        "no date",
        "bad confidence",
        "extra cell",
        "duplicate date",
        "unknown metric",
        "one good row one bad",
    ],
)
def test_a_bad_row_gets_its_message_and_nothing_can_be_confirmed(
    cast, login, metric, content, message
):
    response = upload(login(cast.member), metric, content)

    assert response.status_code == 400
    assert message in page(response)
    assert "Fix " in page(response)
    assert not response.context["payload"]
    assert 'name="payload"' not in page(response)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\r\n \r\n", "The file is empty."),
        (b"date,value\r\n", "The file has the column names but no rows of values under them."),
        (b"when,how much\n2026-03-01,5\n", "The first row must be the column names: date, value"),
        (b"2026-03-01,5\n2026-03-02,6\n", "The file's first row has “2026-03-01”."),
        (b"date,comment\n2026-03-01,hi\n", "no “value” column"),
        (b"date,value,date\n2026-03-01,5,\n", "has “date” twice"),
        (b"date,value\n2026-03-01,\x81\x8d\n", "Save it as “CSV UTF-8”"),
        (b"PK\x03\x04\x14\x00\x06\x00", "This doesn't look like a CSV file."),
        (b"date,value,comment\n2026-03-01,5," + b"x" * 200_000 + b"\n", "Row 2 can't be read"),
        (b"date,value\n" + b"2026-03-01,5\n" * 5001, "The file has more than 5,000 rows."),
        (b"date,value,comment\n" + b"2026-03-01,5,xxxx\n" * 60_000, "larger than 1 MB"),
    ],
    ids=[
        "empty",
        "blank",
        "header only",
        "bad header",
        "no header",
        "no value column",
        "repeated column",
        "not text",
        "spreadsheet file",
        "huge cell",
        "too many rows",
        "too large",
    ],
)
def test_a_bad_file_gets_its_message_and_saves_nothing(cast, login, metric, content, message):
    response = upload(login(cast.member), metric, content)

    assert response.status_code == 400
    assert message in page(response)
    assert "plan" not in response.context
    assert not CheckIn.objects.exists()


def test_posting_without_a_file_asks_for_one(cast, login, metric):
    response = login(cast.member).post(import_url(metric), {})
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in page(response)


def test_a_tampered_preview_is_refused(cast, login, metric):
    client = login(cast.member)
    payload = upload(client, metric, "date,value\n2026-03-01,90\n").context["payload"]
    forged = signing.dumps({"csv": "date,value\n2026-03-01,9000\n", "plan": "x"}, compress=True)

    for bad in (payload[:-2] + "xx", forged, "", "rubbish"):
        response = client.post(import_url(metric), {"payload": bad})
        assert response.status_code == 400
        assert "couldn't be checked, so nothing was saved" in page(response)
    assert not CheckIn.objects.exists()


def test_a_preview_confirms_only_for_its_own_metric_and_person(cast, login, mission, metric):
    other = MetricFactory(goal=metric.goal)
    payload = upload(login(cast.member), metric, "date,value\n2026-03-01,90\n").context["payload"]

    wrong_metric = login(cast.member).post(import_url(other), {"payload": payload})
    wrong_person = login(cast.admin).post(import_url(metric), {"payload": payload})

    assert (wrong_metric.status_code, wrong_person.status_code) == (400, 400)
    assert not CheckIn.objects.exists()


def test_an_hour_old_preview_is_refused(cast, login, metric):
    client = login(cast.member)
    payload = upload(client, metric, "date,value\n2026-03-01,90\n").context["payload"]

    with time_machine.travel(datetime.datetime(2026, 6, 15, 13, 1, tzinfo=datetime.UTC)):
        response = client.post(import_url(metric), {"payload": payload})

    assert response.status_code == 400
    assert "more than an hour old" in page(response)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_cannot_import(cast, login, metric, method):
    client = login(cast.viewer)
    response = getattr(client, method)(import_url(metric))
    assert response.status_code == 403


def test_a_member_who_owns_neither_the_metric_nor_the_mission_cannot_import(cast, login, metric):
    metric.mission.owner = cast.owner
    metric.mission.save()
    response = upload(login(cast.member), metric, "date,value\n2026-03-01,90\n")
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


# ---- Exporting ----


def test_a_metric_export_has_every_check_in_including_replaced_ones(cast, login, metric):
    first = record(metric, cast.member, datetime.date(2026, 2, 1), "100", note="First go")
    record(metric, cast.admin, datetime.date(2026, 2, 1), "97.5", confidence="at_risk")
    record(metric, cast.member, datetime.date(2026, 3, 1), "90")

    response = login(cast.viewer).get(export_url(metric))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="net-zero-energy-use-2026-06-15.csv"'
    )
    rows = read_csv(response)
    assert [(r["date"], r["value"], r["current"]) for r in rows] == [
        ("2026-02-01", "100", "no"),
        ("2026-02-01", "97.5", "yes"),
        ("2026-03-01", "90", "yes"),
    ]
    assert rows[0]["comment"] == "First go"
    assert rows[0]["author"] == "Acme Member"
    assert rows[0]["replaced_by"] == "Acme Admin"
    assert rows[0]["replaced_at"] and not rows[1]["replaced_at"]
    assert rows[1]["confidence"] == "at_risk"
    assert rows[0]["recorded_at"] == first.created_at.astimezone(
        datetime.timezone(datetime.timedelta(hours=1))
    ).isoformat(timespec="seconds")  # London summer time, the organisation's


def test_a_mission_export_has_the_current_values_of_every_metric(cast, login, mission, metric):
    water = MetricFactory(goal=metric.goal, name="Water use", unit="m³", position=1)
    record(metric, cast.member, datetime.date(2026, 2, 1), "100")
    record(metric, cast.member, datetime.date(2026, 2, 1), "98")
    record(water, cast.member, datetime.date(2026, 2, 1), "12")

    response = login(cast.viewer).get(mission_export_url(mission))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="net-zero-check-ins-2026-06-15.csv"'
    )
    assert [(r["metric"], r["goal"], r["unit"], r["value"]) for r in read_csv(response)] == [
        ("Energy use", "Cut emissions", "MWh", "98"),
        ("Water use", "Cut emissions", "m³", "12"),
    ]


def test_exports_guard_against_formulas_but_keep_negative_numbers(cast, login, mission, metric):
    metric.name = "@SUM(A1)"
    metric.save()
    record(metric, cast.member, datetime.date(2026, 2, 1), "-5", note='=HYPERLINK("x")')
    record(metric, cast.member, datetime.date(2026, 3, 1), "7", note="-5 after the audit")

    metric_rows = read_csv(login(cast.viewer).get(export_url(metric)))
    mission_rows = read_csv(login(cast.viewer).get(mission_export_url(mission)))

    assert [(r["value"], r["comment"]) for r in metric_rows] == [
        ("-5", '\'=HYPERLINK("x")'),
        ("7", "'-5 after the audit"),
    ]
    assert {r["metric"] for r in mission_rows} == {"'@SUM(A1)"}


def test_an_export_imports_again_without_changing_anything(cast, login, mission, metric):
    record(metric, cast.member, datetime.date(2026, 2, 1), "100", note="=odd comment")
    record(metric, cast.admin, datetime.date(2026, 2, 1), "97.5", confidence="at_risk")
    record(metric, cast.member, datetime.date(2026, 3, 1), "90", note="+ new boiler")
    client = login(cast.member)

    for url in (export_url(metric), mission_export_url(mission)):
        exported = client.get(url).getvalue()
        response = upload(client, metric, exported)
        statuses = [row.status for row in response.context["plan"].rows]
        assert set(statuses) <= {"unchanged", "history"}, url
        assert statuses.count("unchanged") == 2
    assert CheckIn.objects.count() == 3


def test_an_outsider_cannot_export(cast, login, metric):
    client = login(cast.outsider)
    assert client.get(export_url(metric)).status_code == 404
    assert client.get(mission_export_url(metric.mission)).status_code == 404


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_exports_take_the_same_number_of_queries_however_long_the_history(
    cast, login, mission, metric
):
    client = login(cast.viewer)
    client.get(mission.get_absolute_url())  # the session's first-visit writes, out of the way
    record(metric, cast.member, datetime.date(2026, 1, 10), "99")
    few = (_queries(client, export_url(metric)), _queries(client, mission_export_url(mission)))

    for day in range(1, 28):
        record(metric, cast.member, datetime.date(2026, 2, day), str(100 - day))
        record(metric, cast.admin, datetime.date(2026, 2, day), str(90 - day))  # a correction
    for name in ("Water use", "Waste", "Travel"):
        other = MetricFactory(goal=GoalFactory(mission=mission), name=name)
        record(other, cast.member, datetime.date(2026, 3, 1), "5")

    many = (_queries(client, export_url(metric)), _queries(client, mission_export_url(mission)))
    assert many == few


# ---- The rules, without the web ----


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-", "'-"),
        ("@here", "'@here"),
        ("\tTab", "'\tTab"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("Plain words", "Plain words"),
        ("", ""),
    ],
)
def test_csv_safe(cell, safe):
    assert csv_safety.csv_safe(cell) == safe
    assert csv_safety.unquote(csv_safety.csv_safe(cell)) == cell


@pytest.mark.parametrize(
    ("fmt", "unit", "text", "value"),
    [
        ("number", "", "1,250", Decimal("1250")),
        ("number", "MWh", "1,250 MWh", Decimal("1250")),
        ("number", "", "-3.5", Decimal("-3.5")),
        ("currency", "£", "£3,400.50", Decimal("3400.50")),
        ("currency", "", "-$12", Decimal("-12")),
        ("percentage", "", "42%", Decimal("42")),
        ("yes_no", "", "no", Decimal("0")),
    ],
)
def test_values_are_read_as_people_type_them(fmt, unit, text, value):
    metric = Metric(format=fmt, unit=unit)
    assert csv_io.parse_value(metric, text) == value


def test_the_date_rule_is_the_check_in_forms():
    metric = Metric(baseline_on=datetime.date(2026, 1, 1))
    metric.check_reading_date(TODAY, TODAY)
    with pytest.raises(ValidationError, match="future"):
        metric.check_reading_date(TODAY + datetime.timedelta(days=1), TODAY)
    with pytest.raises(ValidationError, match="before the baseline date"):
        metric.check_reading_date(datetime.date(2025, 12, 31), TODAY)


def test_a_file_with_many_problems_lists_the_first_twenty_and_marks_them_all(cast, login, metric):
    content = "date,value\n" + "".join(f"2026-03-{day:02d},lots\n" for day in range(1, 26))
    response = upload(login(cast.member), metric, content)
    assert response.status_code == 400
    assert "And 5 more rows, marked in the table below." in page(response)
    assert page(response).count("“lots” isn't a number") == 20 + 25


def test_many_readings_are_saved_in_batches_with_their_corrections(cast, metric, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 2)
    earlier = [record(metric, cast.member, datetime.date(2026, 3, day), "50") for day in (1, 2, 3)]
    readings = [
        services.Reading(datetime.date(2026, 3, day), Decimal(day), "at_risk")
        for day in range(1, 6)
    ]

    saved = services.checkins_import(metric, readings, author=cast.admin)

    assert [checkin.corrects for checkin in saved] == [*earlier, None, None]
    assert CheckIn.objects.filter(is_current=False).count() == 3
    assert CheckIn.objects.filter(is_current=True).count() == 5
    metric.refresh_from_db()
    assert (metric.latest_value, metric.latest_confidence) == (Decimal("5"), "at_risk")
    with pytest.raises(ValueError, match="one reading per date"):
        services.checkins_import(metric, readings[:1] * 2, author=cast.admin)
