import datetime
import re
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import CheckIn
from metrics.services import CheckInConflict, checkin_correct, checkin_record
from tests.conftest import require_service
from tests.editables import as_shown
from tests.factories import GoalFactory, MetricFactory, MissionFactory

TODAY = "2026-06-15 12:00Z"


@pytest.fixture
def metric(cast):
    mission = MissionFactory(organisation=cast.org, slug="net-zero", owner=cast.admin)
    return MetricFactory(
        goal=GoalFactory(mission=mission),
        owner=cast.member,
        baseline_value=Decimal("120"),
        baseline_on=datetime.date(2026, 1, 1),
        target_value=Decimal("12"),
        target_on=datetime.date(2030, 1, 1),
        direction="decrease",
        cadence="monthly",
    )


def record(metric, user, value, on="2026-06-01", confidence="on_track"):
    return checkin_record(
        metric,
        value=Decimal(value),
        for_date=datetime.date.fromisoformat(on),
        author=user,
        confidence=confidence,
    )


def test_recording_keeps_the_latest_value_and_next_due_date_on_the_metric(cast, metric):
    record(metric, cast.member, "100", on="2026-05-01")
    record(metric, cast.member, "90", on="2026-06-01")
    record(metric, cast.member, "95", on="2026-03-01")  # a late entry for an earlier month
    metric.refresh_from_db()
    assert metric.latest_value == Decimal("90")
    assert metric.latest_on == datetime.date(2026, 6, 1)
    assert metric.next_due_on == datetime.date(2026, 7, 1)


def test_a_correction_keeps_the_earlier_value_with_who_replaced_it(cast, metric):
    first = record(metric, cast.member, "100")
    correction = checkin_correct(
        first, value=Decimal("98"), author=cast.admin, confidence="at_risk"
    )
    first.refresh_from_db()
    assert not first.is_current
    assert correction.corrects == first
    assert correction.author == cast.admin
    assert CheckIn.objects.count() == 2
    metric.refresh_from_db()
    assert (metric.latest_value, metric.latest_confidence) == (Decimal("98"), "at_risk")


def test_a_second_reading_for_the_same_date_is_a_correction(cast, metric):
    record(metric, cast.member, "100")
    record(metric, cast.member, "97")
    assert CheckIn.objects.filter(is_current=True).get().value == Decimal("97")
    assert CheckIn.objects.filter(is_current=False).get().value == Decimal("100")


def test_correcting_a_value_someone_else_already_corrected_is_refused(cast, metric):
    first = record(metric, cast.member, "100")
    checkin_correct(first, value=Decimal("98"), author=cast.admin, confidence="on_track")
    with pytest.raises(CheckInConflict):
        checkin_correct(first, value=Decimal("50"), author=cast.member, confidence="on_track")
    assert not CheckIn.objects.filter(value=Decimal("50")).exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_corrections_one_wins_and_the_other_is_told(cast, metric):
    require_service(connection.vendor == "postgresql", "PostgreSQL (real concurrent writes)")
    first = record(metric, cast.member, "100")
    barrier = threading.Barrier(2)
    outcomes = []

    def correct(value: str) -> None:
        barrier.wait()
        try:
            checkin_correct(first, value=Decimal(value), author=cast.admin, confidence="on_track")
            outcomes.append("saved")
        except CheckInConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=correct, args=(v,)) for v in ("98", "97")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    assert CheckIn.objects.filter(is_current=True).count() == 1
    assert CheckIn.objects.count() == 2


def url(name, metric, *extra):
    return reverse(f"metrics:{name}", args=["acme", metric.mission.slug, metric.uid, *extra])


FORM = {"value": "90", "confidence": "on_track", "note": "New ovens in", "for_date": "2026-06-10"}


@time_machine.travel(TODAY)
def test_the_metric_owner_checks_in_through_the_form(cast, login, metric):
    client = login(cast.member)
    page = client.get(url("check_in", metric))
    assert "Last check-in" in page.text and "Target" in page.text
    response = client.post(url("check_in", metric), FORM)
    assert response["Location"] == url("detail", metric)
    assert CheckIn.objects.get().note == "New ovens in"


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": "a lot"}, "Enter a number, like 1.5."),
        ({"for_date": "2026-07-01"}, "A check-in can’t be for a date in the future."),
        ({"for_date": "2025-12-01"}, "That is before the baseline date"),
        ({"for_date": "not a date"}, "Enter a valid date."),
        ({"confidence": "ecstatic"}, "Select a valid choice."),
    ],
)
def test_bad_check_ins_get_a_message_and_save_nothing(cast, login, metric, change, message):
    response = login(cast.member).post(url("check_in", metric), FORM | change)
    assert response.status_code == 400
    assert message in response.text
    assert not CheckIn.objects.exists()


@time_machine.travel(TODAY)
def test_a_percentage_over_100_is_refused(cast, login, metric):
    metric.format = "percentage"
    metric.save()
    response = login(cast.member).post(url("check_in", metric), FORM | {"value": "140"})
    assert "A percentage is between 0 and 100." in response.text


@time_machine.travel(TODAY)
@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_viewers_and_members_who_do_not_own_it_cannot_check_in(cast, login, metric, who):
    expected = 404 if who == "outsider" else 403
    assert login(getattr(cast, who)).post(url("check_in", metric), FORM).status_code == expected
    assert not CheckIn.objects.exists()


@time_machine.travel(TODAY)
def test_a_member_may_check_in_on_a_metric_they_do_not_own_only_if_they_own_the_mission(
    cast, login, metric
):
    metric.owner = cast.owner
    metric.save()
    assert login(cast.member).post(url("check_in", metric), FORM).status_code == 403
    metric.mission.owner = cast.member
    metric.mission.save()
    assert login(cast.member).post(url("check_in", metric), FORM).status_code == 302


@time_machine.travel(TODAY)
def test_the_form_takes_a_prefilled_value_and_goes_back_where_it_came_from(cast, login, metric):
    client = login(cast.member)
    page = client.get(url("check_in", metric) + "?value=77&next=/o/acme/my-check-ins/")
    assert 'value="77"' in page.text
    response = client.post(url("check_in", metric), FORM | {"next": "/o/acme/my-check-ins/"})
    assert response["Location"] == "/o/acme/my-check-ins/"
    evil = client.post(url("check_in", metric), FORM | {"next": "https://evil.example/"})
    assert evil["Location"] == url("detail", metric)


@time_machine.travel(TODAY)
@pytest.mark.parametrize("view", ["check_in", "correct"])
def test_a_next_that_is_not_a_path_here_goes_back_to_the_metric(cast, login, metric, view):
    checkin = record(metric, cast.member, "100", on="2026-06-10")
    where = url(view, metric, *([checkin.uid] if view == "correct" else []))
    for wanted in ("9" * 40, "metrics:detail", "//evil.example/"):
        response = login(cast.member).post(where, FORM | {"next": wanted})
        assert response.status_code == 302
        assert response["Location"] == url("detail", metric)


@time_machine.travel(TODAY)
def test_correcting_through_the_form_shows_the_history(cast, login, metric):
    checkin = record(metric, cast.member, "100", on="2026-06-01")
    client = login(cast.admin)
    client.post(url("correct", metric, checkin.uid), FORM | {"value": "99"})
    page = client.get(url("detail", metric))
    assert "<del>" in page.text and "replaced" in page.text
    assert "Corrected by Acme Admin" in page.text


@time_machine.travel(TODAY)
def test_a_stale_correction_keeps_what_was_typed_and_shows_the_stored_value(cast, login, metric):
    checkin = record(metric, cast.member, "100", on="2026-06-01")
    checkin_correct(checkin, value=Decimal("98"), author=cast.admin, confidence="on_track")
    response = login(cast.member).post(
        url("correct", metric, checkin.uid), FORM | {"value": "77", "note": "my careful note"}
    )
    assert response.status_code == 409
    assert "Acme Admin corrected this check-in at 13:00 while you were editing." in response.text
    assert "my careful note" in response.text
    assert 'value="77"' in response.text
    assert "<strong>98</strong>" in response.text  # stored now, above what they typed


@time_machine.travel(TODAY)
def test_saving_a_refused_correction_again_corrects_the_value_that_won(cast, login, metric):
    checkin = record(metric, cast.member, "100", on="2026-06-01")
    won = checkin_correct(checkin, value=Decimal("98"), author=cast.admin, confidence="on_track")
    client = login(cast.member)
    typed = FORM | {"value": "77", "note": "my careful note"}
    refused = client.post(url("correct", metric, checkin.uid), typed)
    action = re.search(r'<form method="post" action="([^"]+/correct/)"', refused.text)
    assert action and action.group(1) == url("correct", metric, won.uid)

    assert client.post(action.group(1), typed).status_code == 302
    current = CheckIn.objects.get(is_current=True)
    assert (current.value, current.note, current.corrects) == (Decimal("77"), typed["note"], won)
    assert CheckIn.objects.count() == 3  # 100 and 98 stay in the history


@time_machine.travel(TODAY)
def test_a_stale_correction_of_other_fields_keeps_both_corrections(cast, login, metric):
    checkin = record(metric, cast.member, "100", on="2026-06-01")
    client = login(cast.member)
    loaded = as_shown(client.get(url("correct", metric, checkin.uid)).text, "note")
    theirs = checkin_correct(
        checkin, value=Decimal("100"), author=cast.admin, confidence="at_risk", note="Oven down"
    )

    response = client.post(url("correct", metric, checkin.uid), loaded | {"value": "77"})

    assert response.status_code == 302
    current = CheckIn.objects.get(is_current=True)
    assert (current.value, current.confidence, current.note) == (
        Decimal("77"),
        "at_risk",
        "Oven down",
    )
    assert (current.corrects, current.author) == (theirs, cast.member)
    assert [str(m) for m in client.get(response.url).context["messages"]] == [
        "Check-in corrected. The earlier value is kept in the history. Acme Admin changed it "
        "at 13:00 too; their changes to Confidence and Comment are kept."
    ]


@time_machine.travel(TODAY)
def test_a_stale_correction_shows_both_values_of_the_field_both_changed(cast, login, metric):
    checkin = record(metric, cast.member, "100", on="2026-06-01")
    client = login(cast.member)
    loaded = as_shown(client.get(url("correct", metric, checkin.uid)).text, "note")
    theirs = checkin_correct(
        checkin, value=Decimal("98"), author=cast.admin, confidence="at_risk", note=""
    )

    refused = client.post(
        url("correct", metric, checkin.uid), loaded | {"value": "77", "note": "Mine"}
    )

    assert refused.status_code == 409
    assert (
        "Acme Admin corrected this check-in at 13:00 while you were editing. Their change to "
        "Confidence is kept. You both changed Value: yours is in the form, with the value "
        "stored now beside it."
    ) in refused.text
    shown = as_shown(refused.text, "note")
    assert (shown["value"], shown["confidence"], shown["note"]) == ("77", "at_risk", "Mine")
    assert "Stored now: <strong>98</strong>" in refused.text
    assert refused.text.count("Stored now: <strong>") == 1
    action = re.search(r'<form method="post" action="([^"]+/correct/)"', refused.text)
    assert action and action.group(1) == url("correct", metric, theirs.uid)

    assert client.post(action.group(1), shown).status_code == 302
    current = CheckIn.objects.get(is_current=True)
    assert (current.value, current.confidence, current.note) == (Decimal("77"), "at_risk", "Mine")


def test_the_metric_page_lists_the_latest_check_ins_and_older_ones_page_by_page(
    cast, login, metric
):
    start = datetime.date(2024, 1, 1)
    for week in range(30):
        on = start + datetime.timedelta(weeks=week)
        record(metric, cast.member, str(100 + week), on=on.isoformat())
    client = login(cast.member)

    latest = client.get(url("detail", metric)).text
    older = client.get(url("detail", metric) + "?page=2").text

    assert latest.count("<tr class=") == 26
    assert "<strong>129</strong>" in latest and "<strong>103</strong>" not in latest
    assert "Check-ins 1 to 26 of 30, newest first." in latest
    assert 'href="?page=2#history-heading" rel="next">Older check-ins</a>' in latest
    assert "Newer check-ins" not in latest
    assert older.count("<tr class=") == 4
    assert "<strong>100</strong>" in older and "<strong>104</strong>" not in older
    assert 'href="?page=1#history-heading" rel="prev">Newer check-ins</a>' in older
    assert "Older check-ins" not in older
    # Nonsense asks for a page are answered with one, not an error.
    assert client.get(url("detail", metric) + "?page=x").status_code == 200
    assert "<strong>100</strong>" in client.get(url("detail", metric) + "?page=999").text


def test_a_short_history_is_listed_whole(cast, login, metric):
    record(metric, cast.member, "100")

    page = login(cast.member).get(url("detail", metric)).text

    assert page.count("<tr class=") == 1
    assert "Older check-ins" not in page


@time_machine.travel(TODAY)
def test_the_chart_draws_current_readings_and_is_drawn_again_after_a_check_in(
    cast, login, metric, django_capture_on_commit_callbacks
):
    checkin = record(metric, cast.member, "100", on="2026-06-01")
    checkin_correct(checkin, value=Decimal("98"), author=cast.admin, confidence="on_track")
    client = login(cast.member)

    def chart() -> str:
        page = client.get(url("detail", metric)).text
        return page[page.index('class="card chart-card"') : page.index('id="history-heading"')]

    first = chart()
    assert "1 Jun 2026: 98" in first
    assert "1 Jun 2026: 100" not in first  # the corrected reading is history, not a point
    assert chart() == first  # from the cache

    with django_capture_on_commit_callbacks(execute=True):
        record(metric, cast.member, "95", on="2026-06-08")

    assert "8 Jun 2026: 95" in chart()


@time_machine.travel(TODAY)
def test_the_metric_page_query_count_does_not_grow_with_its_history(cast, login, metric, uncached):
    client = login(cast.member)
    record(metric, cast.member, "100", on="2026-01-05")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("detail", metric)).status_code == 200
        return len(captured)

    client.get(url("detail", metric))  # the first visit also stores the organisation
    before = queries()
    start = datetime.date(2026, 1, 12)
    for week in range(30):
        checkin = record(
            metric, cast.member, str(100 - week), on=str(start + datetime.timedelta(weeks=week))
        )
        if week % 5 == 0:
            checkin_correct(
                checkin, value=Decimal(99 - week), author=cast.admin, confidence="at_risk"
            )

    assert queries() == before
