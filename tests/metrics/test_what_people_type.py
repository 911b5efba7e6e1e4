"""What people type, through the pages: invisible names, over-long comments, and numbers
in the organisation's format (issue 15, findings 5, 6 and 7)."""

import datetime
import html
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics import charts
from metrics.models import CheckIn, Metric
from missions.models import Goal, Mission
from tests.factories import GoalFactory, MetricFactory, MissionFactory

TODAY = "2026-06-15 12:00Z"
MISSION = {
    "title": "Net zero by 2030",
    "purpose": "Cut our emissions to net zero.",
    "starts_on": "2026-01-01",
    "status": "active",
    "visibility": "organisation",
}
CHECK_IN = {"value": "90", "confidence": "on_track", "note": "", "for_date": "2026-06-10"}


@pytest.fixture
def metric(cast) -> Metric:
    mission = MissionFactory(organisation=cast.org, slug="net-zero", owner=cast.admin)
    return MetricFactory(goal=GoalFactory(mission=mission), owner=cast.member, unit="%")


def metric_url(name: str, metric: Metric) -> str:
    return reverse(f"metrics:{name}", args=["acme", metric.mission.slug, metric.uid])


def text(response) -> str:
    return html.unescape(response.content.decode())


def use_comma(cast) -> None:
    cast.org.number_format = "comma"
    cast.org.save()


# ---- Finding 6: a name with nothing visible ---------------------------------------------


def test_a_mission_title_of_zero_width_spaces_is_refused(cast, login):
    response = login(cast.admin).post(
        reverse("missions:create", args=["acme"]), MISSION | {"title": "\u200b\u200b\u2060\ufeff"}
    )
    assert response.status_code == 400
    assert "Enter at least one visible character" in text(response)
    assert not Mission.objects.exists()


def test_invisible_characters_around_a_title_are_not_kept(cast, login):
    login(cast.admin).post(
        reverse("missions:create", args=["acme"]),
        MISSION | {"title": "\ufeff\u200b Net zero by 2030\u200d \u202e"},
    )
    assert Mission.objects.get().title == "Net zero by 2030"


# ---- Finding 5: lengths -----------------------------------------------------------------


@time_machine.travel(TODAY)
def test_a_comment_has_a_limit_the_form_shows(cast, login, metric):
    client = login(cast.member)
    form = text(client.get(metric_url("check_in", metric)))
    assert 'maxlength="2000"' in form
    assert "Up to 2,000 characters." in form

    response = client.post(metric_url("check_in", metric), CHECK_IN | {"note": "x" * 2_001})
    assert response.status_code == 400
    assert "Keep this to 2,000 characters or fewer (it has 2,001)." in text(response)
    assert not CheckIn.objects.exists()

    client.post(metric_url("check_in", metric), CHECK_IN | {"note": "x" * 2_000})
    assert len(CheckIn.objects.get().note) == 2_000


@time_machine.travel(TODAY)
def test_my_check_ins_shows_the_comment_limit(cast, login, metric):
    page = text(login(cast.member).get(reverse("metrics:my_checkins", args=["acme"])))
    assert 'maxlength="2000"' in page
    assert "Up to 2,000 characters." in page


@time_machine.travel(TODAY)
def test_a_csv_comment_over_the_limit_is_refused_with_its_row(cast, login, metric):
    content = f"date,value,comment\n2026-06-01,5,fine\n2026-06-02,6,{'x' * 2_500}\n"
    response = login(cast.member).post(
        metric_url("import", metric),
        {"file": SimpleUploadedFile("history.csv", content.encode(), "text/csv")},
    )
    assert response.status_code == 400
    assert "The comment is too long. Keep this to 2,000 characters or fewer (it has 2,500)." in (
        text(response)
    )
    (refused,) = response.context["plan"].errors
    assert refused.number == 3
    assert not CheckIn.objects.exists()


def test_a_purpose_stored_before_the_limits_still_draws(cast, login):
    mission = MissionFactory(organisation=cast.org, slug="old", purpose="y" * 5_000)
    response = login(cast.viewer).get(reverse("reporting:mission", args=["acme", mission.slug]))
    assert response.status_code == 200
    assert "y" * 5_000 in text(response)


# ---- Finding 7: numbers -----------------------------------------------------------------


@time_machine.travel(TODAY)
def test_in_a_comma_organisation_1_comma_5_is_one_and_a_half(cast, login, metric):
    use_comma(cast)
    response = login(cast.member).post(metric_url("check_in", metric), CHECK_IN | {"value": "1,5"})
    assert response.status_code == 302
    assert CheckIn.objects.get().value == Decimal("1.5")


@time_machine.travel(TODAY)
def test_in_a_point_organisation_1_comma_5_is_refused_naming_the_format(cast, login, metric):
    response = login(cast.member).post(metric_url("check_in", metric), CHECK_IN | {"value": "1,5"})
    assert response.status_code == 400
    assert "Use a point for decimals, like 1.5." in text(response)
    assert not CheckIn.objects.exists()


@time_machine.travel(TODAY)
def test_my_check_ins_reads_a_comma_in_a_comma_organisation(cast, login, metric):
    use_comma(cast)
    response = login(cast.member).post(
        reverse("metrics:my_checkin", args=["acme", metric.uid]),
        {"value": "12,25", "confidence": "on_track", "for_date": "2026-06-10"},
    )
    assert response.status_code in (200, 302)
    assert CheckIn.objects.get().value == Decimal("12.25")


def test_an_edit_form_shows_numbers_in_the_organisations_format(cast, login, metric):
    use_comma(cast)
    metric.baseline_value, metric.baseline_on = Decimal("1250.5"), datetime.date(2026, 1, 1)
    metric.save()
    page = text(login(cast.admin).get(metric_url("edit", metric)))
    assert 'value="1250,5"' in page
    assert 'inputmode="decimal"' in page
    assert 'type="number"' not in page


@time_machine.travel(TODAY)
def test_a_minus_zero_check_in_is_shown_as_zero(cast, login, metric):
    login(cast.member).post(metric_url("check_in", metric), CHECK_IN | {"value": "-0"})
    checkin = CheckIn.objects.get()
    assert checkin.value == 0
    page = text(login(cast.viewer).get(metric_url("detail", metric)))
    # Dates (2026-06-10) and the ids of the page's charts (uuids) aside.
    shown = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "", page).replace("-0-", "")
    assert "-0" not in shown
    assert metric.format_value(Decimal("-0.0001")) == "0 %"


def test_minus_zero_is_zero_in_values_and_chart_labels(metric):
    assert metric.format_value(Decimal("-0")) == "0 %"
    assert metric.format_value(-0.0) == "0 %"
    assert charts.plain_number(-0.0) == "0"
    assert charts.plain_number(-0.004) == "0"


@pytest.mark.parametrize("weight", ["0", "-5", "101"])
def test_a_goal_weight_out_of_range_is_refused_in_words(cast, login, weight):
    mission = MissionFactory(organisation=cast.org, slug="zero-waste", owner=cast.member)
    response = login(cast.member).post(
        reverse("reporting:goal_add", args=["acme", mission.slug]),
        {"goal-title": "Halve food waste", "goal-weight": weight},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Enter a weight from 1 to 100." in text(response)
    assert "greater than or equal" not in text(response)
    assert not Goal.objects.exists()


def test_the_number_format_is_chosen_in_the_settings(cast, login):
    client = login(cast.admin)
    page = text(client.get(reverse("orgs:settings", args=["acme"])))
    assert "Decimal comma: 1.250,5" in page
    response = client.post(
        reverse("orgs:settings", args=["acme"]),
        {
            "name": "Acme",
            "slug": "acme",
            "time_zone": "Europe/Berlin",
            "week_starts_on": 0,
            "number_format": "comma",
        },
    )
    assert response.status_code == 302
    cast.org.refresh_from_db()
    assert cast.org.number_format == "comma"


@time_machine.travel(TODAY)
def test_a_csv_from_a_comma_organisation_reads_its_decimals(cast, login, metric):
    use_comma(cast)
    content = "Date;Value\r\n01/06/2026;90,5\r\n02/06/2026;1.250,25\r\n"
    response = login(cast.member).post(
        metric_url("import", metric),
        {"file": SimpleUploadedFile("history.csv", content.encode(), "text/csv")},
    )
    assert [row.value for row in response.context["plan"].rows] == [
        Decimal("90.5"),
        Decimal("1250.25"),
    ]
