"""My check-ins: the metrics a person owns, what is due, and checking in on each row."""

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import CheckIn
from metrics.services import checkin_correct, checkin_record
from tests.factories import GoalFactory, MembershipFactory, MetricFactory, MissionFactory
from tests.html import parse
from tests.orgs.test_query_counts import queries_for
from tests.security.forms import post_forms

# Friday 4 December 2026, mid-morning in London (the organisation's time zone).
NOW = "2026-12-04 10:00Z"
TODAY = datetime.date(2026, 12, 4)
HTMX = {"HTTP_HX_REQUEST": "true"}


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def friday():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def mission(cast):
    return MissionFactory(
        organisation=cast.org, title="Net zero", slug="net-zero", owner=cast.admin
    )


def owned(cast, mission, name, due_in=None, user=None, **kwargs):
    return MetricFactory(
        goal=GoalFactory(mission=mission),
        name=name,
        owner=user or cast.member,
        next_due_on=days(due_in) if due_in is not None else None,
        **kwargs,
    )


def page_url() -> str:
    return reverse("metrics:my_checkins", args=["acme"])


def row_url(metric) -> str:
    return reverse("metrics:my_checkin", args=["acme", metric.uid])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_owner_sees_their_metrics_overdue_first_then_by_due_date(cast, login, mission):
    owned(cast, mission, "Later metric", due_in=30)
    owned(cast, mission, "Soon metric", due_in=3)
    owned(cast, mission, "Today metric", due_in=0)
    owned(cast, mission, "Overdue metric", due_in=-3)

    page = text(login(cast.member).get(page_url()))

    names = re.findall(r'class="checkin-name"><a [^>]*>([^<]+)</a>', page)
    assert names == ["Overdue metric", "Today metric", "Soon metric", "Later metric"]
    for label in ("Overdue by 3 days", "Due today", "Due Mon 7 Dec", "Due Sun 3 Jan 2027"):
        assert label in page
    assert re.search(r"1 overdue</strong> · <strong>2</strong> due this week", page)


def test_a_metric_never_checked_in_is_due_a_cadence_after_it_was_added(cast, login, mission):
    # Issue 15: added today with a baseline measured ten days ago, it was "Overdue by 3
    # days" the moment it existed; its first due date followed the baseline's.
    owned(cast, mission, "Fresh metric", baseline_on=days(-10), cadence="weekly")

    page = text(login(cast.member).get(page_url()))

    assert "Overdue" not in page
    assert "Due Fri 11 Dec" in page


def test_each_row_shows_where_the_metric_sits_its_last_value_and_target(cast, login, mission):
    metric = owned(cast, mission, "Waste to landfill", due_in=2, unit="tonnes")
    checkin_record(
        metric, value=Decimal("14.5"), for_date=days(-20), author=cast.member, confidence="on_track"
    )

    page = text(login(cast.member).get(page_url()))

    assert reverse("metrics:detail", args=["acme", "net-zero", metric.uid]) in page
    assert f"Net zero · {metric.goal.title}" in page
    assert '14.5 tonnes <span class="checkin-when muted">on 14 Nov</span>' in page
    assert '50 tonnes <span class="checkin-when muted">by Jan 2028</span>' in page


def test_other_peoples_metrics_are_not_listed(cast, login, mission):
    owned(cast, mission, "Mine")
    owned(cast, mission, "The admin's", user=cast.admin)

    page = text(login(cast.member).get(page_url()))

    assert "Mine" in page
    assert "The admin's" not in unescape(page)


def test_metrics_on_private_missions_they_cannot_see_or_archived_missions_are_not_listed(
    cast, login, mission
):
    private = MissionFactory(organisation=cast.org, visibility="private", owner=cast.admin)
    archived = MissionFactory(
        organisation=cast.org, archived_at=datetime.datetime.now(datetime.UTC)
    )
    owned(cast, mission, "Visible metric")
    owned(cast, private, "Private metric")
    owned(cast, archived, "Archived metric")

    page = text(login(cast.member).get(page_url()))

    assert "Visible metric" in page
    assert "Private metric" not in page
    assert "Archived metric" not in page
    assert "1 metric in all" in page


def test_metrics_in_another_organisation_are_not_listed(cast, login, mission):
    elsewhere = MissionFactory(organisation=cast.other_org)
    owned(cast, elsewhere, "Elsewhere metric", user=cast.member)

    assert "Elsewhere metric" not in text(login(cast.member).get(page_url()))


def test_someone_who_owns_no_metrics_is_told_who_owns_them(cast, login):
    response = login(cast.member).get(page_url())

    assert response.status_code == 200
    assert "You don’t own any metrics here" in response.content.decode()
    assert reverse("missions:list", args=["acme"]) in response.content.decode()


def test_rows_are_made_for_phones(cast, login, mission):
    owned(cast, mission, "A number", due_in=1)
    owned(
        cast,
        mission,
        "A yes or no",
        due_in=2,
        format="yes_no",
        baseline_value=Decimal("0"),
        target_value=Decimal("1"),
    )

    page = text(login(cast.member).get(page_url()))

    assert 'inputmode="decimal"' in page
    assert '<option value="" selected>Yes or no?</option>' in page
    assert 'type="radio" name="confidence"' in page
    # A date input only takes ISO dates, whatever the language.
    assert 'type="date" name="for_date" value="2026-12-04"' in page


def test_the_day_is_the_organisations_day(cast, login, mission):
    cast.org.time_zone = "Pacific/Auckland"
    cast.org.save()
    owned(cast, mission, "Saturday metric", due_in=1)

    with time_machine.travel("2026-12-04 12:00Z", tick=False):  # 1 am on Saturday there
        page = text(login(cast.member).get(page_url()))

    assert "Due today" in page


def test_htmx_check_in_regroups_the_list_and_records_the_value(cast, login, mission):
    metric = owned(cast, mission, "Waste", due_in=-3, unit="tonnes", cadence="weekly")
    owned(cast, mission, "Water", due_in=-2)

    response = login(cast.member).post(
        row_url(metric), {"value": "42", "confidence": "at_risk", "for_date": "2026-12-04"}, **HTMX
    )

    assert response.status_code == 200
    # The whole list is drawn again in place of the one the form sat in.
    assert response["HX-Retarget"] == "#checkin-body"
    assert response["HX-Reswap"] == "outerHTML"
    body = text(response)
    assert body.lstrip().startswith('<div id="checkin-body">')
    assert "<html" not in body
    row = re.search(
        rf'<li class="card checkin-row (due-\w+) is-done" id="checkin-{metric.uid}"', body
    )
    assert row and row[1] == "due-soon"
    assert "Checked in 42 tonnes today" in body
    assert "Next due Fri 11 Dec" in body
    # The summary and each group's heading count it where it is due now.
    assert "1 overdue" in body
    headings = dict(re.findall(r'id="due-(\w+)">[^<]*<span class="group-count">(\d+)</span>', body))
    assert headings == {"overdue": "1", "soon": "1"}
    # The row that moved says what happened, and has the focus.
    assert re.search(r'<p class="checkin-done" role="status" tabindex="-1" autofocus>', body)
    metric.refresh_from_db()
    assert metric.latest_value == Decimal("42")
    assert metric.latest_on == TODAY
    assert metric.latest_confidence == "at_risk"
    assert metric.next_due_on == days(7)
    checkin = CheckIn.objects.get(metric=metric)
    assert checkin.author == cast.member


def test_checking_in_twice_the_same_day_corrects_the_first(cast, login, mission):
    metric = owned(cast, mission, "Waste", due_in=0)
    client = login(cast.member)
    client.post(
        row_url(metric), {"value": "42", "confidence": "on_track", "for_date": TODAY}, **HTMX
    )

    response = client.post(
        row_url(metric), {"value": "41", "confidence": "on_track", "for_date": TODAY}, **HTMX
    )

    assert "Checked in 41 today" in text(response)
    metric.refresh_from_db()
    assert metric.latest_value == Decimal("41")
    assert CheckIn.objects.filter(metric=metric).count() == 2
    assert CheckIn.objects.get(metric=metric, is_current=True).value == Decimal("41")


def test_a_yes_no_metric_checks_in_from_its_select(cast, login, mission):
    metric = owned(
        cast,
        mission,
        "Policy published",
        format="yes_no",
        baseline_value=Decimal("0"),
        target_value=Decimal("1"),
    )

    response = login(cast.member).post(
        row_url(metric), {"value": "1", "confidence": "on_track", "for_date": TODAY}, **HTMX
    )

    assert "Checked in Yes today" in text(response)


def test_a_yes_no_metric_needs_an_answer(cast, login, mission):
    metric = owned(
        cast,
        mission,
        "Policy published",
        format="yes_no",
        baseline_value=Decimal("0"),
        target_value=Decimal("1"),
    )

    response = login(cast.member).post(
        row_url(metric), {"value": "", "confidence": "on_track", "for_date": TODAY}, **HTMX
    )

    assert response.status_code == 422
    assert "This field is required." in text(response)
    assert not CheckIn.objects.exists()


def test_check_in_without_javascript_goes_back_to_the_page_with_a_message(cast, login, mission):
    metric = owned(cast, mission, "Waste", due_in=-3)
    client = login(cast.member)

    response = client.post(
        row_url(metric), {"value": "42", "confidence": "on_track", "for_date": "2026-12-04"}
    )

    assert response.status_code == 302
    assert response["Location"] == page_url() + f"#checkin-{metric.uid}"
    page = text(client.get(page_url()))
    assert "Checked in 42 for Waste." in page
    assert "Checked in 42 today" in page
    metric.refresh_from_db()
    assert metric.latest_value == Decimal("42")


BAD_VALUES = [
    (
        {"value": "lots", "confidence": "on_track", "for_date": "2026-12-04"},
        "Enter a number, like 1.5.",
    ),
    (
        {"value": "42", "confidence": "on_track", "for_date": "2026-12-05"},
        "A check-in can’t be for a date in the future.",
    ),
]


@pytest.mark.parametrize(("data", "error"), BAD_VALUES)
def test_a_bad_value_is_refused_inline_by_htmx_and_nothing_is_saved(
    cast, login, mission, data, error
):
    metric = owned(cast, mission, "Waste", due_in=-3)

    response = login(cast.member).post(row_url(metric), data, **HTMX)

    assert response.status_code == 422
    body = text(response)
    assert body.lstrip().startswith(
        f'<li class="card checkin-row due-overdue" id="checkin-{metric.uid}"'
    )
    assert error.replace("’", "&#x27;") in body or error in body
    assert "autofocus" in body
    assert not CheckIn.objects.exists()
    metric.refresh_from_db()
    assert metric.latest_value is None


@pytest.mark.parametrize(("data", "error"), BAD_VALUES)
def test_a_bad_value_without_javascript_shows_the_page_with_the_rows_error(
    cast, login, mission, data, error
):
    metric = owned(cast, mission, "Waste", due_in=-3)
    owned(cast, mission, "Another", due_in=1)

    response = login(cast.member).post(row_url(metric), data)

    assert response.status_code == 400
    body = text(response)
    assert "<h1>My check-ins</h1>" in body
    assert "Another" in body
    assert error.replace("’", "&#x27;") in body or error in body
    assert not CheckIn.objects.exists()


def test_a_viewer_who_owns_a_metric_cannot_check_in(cast, login, mission):
    metric = owned(cast, mission, "Waste", user=cast.viewer)
    client = login(cast.viewer)

    page = text(client.get(page_url()))
    response = client.post(
        row_url(metric), {"value": "42", "confidence": "on_track", "for_date": TODAY}, **HTMX
    )

    assert "Waste" in page
    assert "<form" not in page.split('id="main"')[1]
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_a_member_cannot_check_in_on_someone_elses_metric_here(cast, login, mission):
    metric = owned(cast, mission, "Waste", user=cast.admin)

    response = login(cast.member).post(
        row_url(metric), {"value": "42", "confidence": "on_track", "for_date": TODAY}
    )

    assert response.status_code == 404
    assert not CheckIn.objects.exists()


def test_outsider_gets_404(cast, login, mission):
    metric = owned(cast, mission, "Waste")
    client = login(cast.outsider)

    assert client.get(page_url()).status_code == 404
    assert client.post(row_url(metric), {"value": "1"}).status_code == 404


def test_the_row_endpoint_only_takes_posts(cast, login, mission):
    metric = owned(cast, mission, "Waste")

    assert login(cast.member).get(row_url(metric)).status_code == 405


def grow(cast, n: int) -> list:
    """n more metrics owned by the member, spread over several missions, goals and states."""
    metrics = []
    for i in range(n):
        mission = MissionFactory(organisation=cast.org, owner=cast.admin)
        goal = GoalFactory(mission=mission)
        metrics.append(
            MetricFactory(
                goal=goal,
                owner=cast.member,
                next_due_on=days(i - n // 2),
                format="yes_no" if i % 3 == 0 else "number",
                baseline_value=Decimal("0"),
                target_value=Decimal("1"),
            )
        )
        if i % 2:
            MetricFactory(goal=None, mission=mission, owner=cast.member, next_due_on=days(i))
        # Some with a history to draw, one of them checked in today.
        for ago in range(0 if i == 1 else 3, 12, 3) if i % 3 != 2 else ():
            checkin_record(
                metrics[-1], value=Decimal(ago % 2), for_date=days(-ago), author=cast.member,
                confidence="on_track",
            )  # fmt: skip
    return metrics


def test_the_page_query_count_does_not_grow_with_metrics(cast, login, uncached):
    client = login(cast.member)
    grow(cast, 2)
    before = queries_for(client, page_url())

    grow(cast, 10)

    assert queries_for(client, page_url()) == before
    page = text(client.get(page_url()))
    # Every kind of row was drawn: with a history, checked in today, yes or no.
    assert page.count('class="sparkline"') == 2 + 7
    assert page.count("Checked in 0 today") == 2 and "Yes or no?" in page


def test_the_row_check_in_query_count_does_not_grow_with_metrics(cast, login):
    client = login(cast.member)
    first, second = grow(cast, 2)

    def check_in(metric) -> int:
        data = {"value": "1", "confidence": "on_track", "for_date": TODAY}
        with CaptureQueriesContext(connection) as captured:
            response = client.post(row_url(metric), data, **HTMX)
        assert response.status_code == 200
        return len(captured)

    check_in(first)  # the first visit also stores the current organisation in the session
    before = check_in(second)

    third = grow(cast, 10)[1]

    assert check_in(third) == before


# ---- The row's form: its fields, their labels, values and errors ----

YES_NO = {"format": "yes_no", "baseline_value": Decimal("0"), "target_value": Decimal("1")}
# metric fields, the data posted, and errors added after validation (as the view adds a
# conflict; a comment has no rule of its own to break)
FORM_CASES = {
    "a number, blank": ({"unit": "tonnes"}, None, {}),
    "yes or no, blank": (YES_NO, None, {}),
    "a number, all wrong": (
        {"unit": "tonnes", "baseline_on": days(-30)},
        {"value": "lots", "confidence": "sure", "note": "<b>Estimated</b>", "for_date": "soon"},
        {},
    ),
    "a number, before the baseline": (
        {"baseline_on": days(-30)},
        {"value": "4", "confidence": "off_track", "note": "", "for_date": days(-40)},
        {},
    ),
    "a percentage out of range, in the future": (
        {"format": "percentage"},
        {"value": "120", "confidence": "at_risk", "for_date": days(1)},
        {},
    ),
    "yes or no, no answer and no date": (YES_NO, {"value": "", "confidence": "on_track"}, {}),
    "yes or no, answered, no confidence": (YES_NO, {"value": "1", "for_date": TODAY}, {}),
    "a number, refused as a whole": (
        {},
        {"value": "4", "confidence": "on_track", "for_date": TODAY},
        {None: "Someone corrected this check-in while you were editing it."},
    ),
    "a comment refused": (
        {},
        {"value": "4", "confidence": "on_track", "note": "Fine", "for_date": TODAY},
        {"note": "Say more."},
    ),
}


FIELDS = ("value", "confidence", "note", "for_date")


def written_form(cast, mission, case):
    """The row's form for the case, as the page writes it, and the form."""
    from django.template.loader import render_to_string

    from metrics.forms import RowCheckInForm

    kwargs, data, added_errors = FORM_CASES[case]
    metric = owned(cast, mission, "Waste <to> landfill", latest_confidence="at_risk", **kwargs)
    form = RowCheckInForm(data, metric=metric, today=TODAY)
    for name, error in added_errors.items():
        form.add_error(name, error)
    context = {"org": cast.org, "row": {"form": form, "metric": metric}, "csrf_token": "t"}
    html = render_to_string("metrics/my_checkins.html#checkin_form", context)
    return parse(html).one("form"), form


def controls(page, name: str):
    """The inputs, select or textarea of a field."""
    return [
        node
        for tag in ("input", "select", "textarea")
        for node in page.all(tag)
        if node.get("name") == name
    ]


def control(page, name: str):
    """The input, select or textarea of a field (the first radio of a choice)."""
    return controls(page, name)[0]


@pytest.mark.parametrize("case", FORM_CASES)
def test_each_field_of_a_rows_form_has_its_label_and_says_what_is_wrong(cast, mission, case):
    page, form = written_form(cast, mission, case)

    assert page["action"] == page["hx-post"] == row_url(form.metric)
    assert page.one("input", name="csrfmiddlewaretoken")["value"] == "t"
    labels = {label["for"]: label.text for label in page.all("label")}
    for name in FIELDS:
        field = form[name]
        inputs = controls(page, name)
        # Every control is named by a label tied to it.
        assert all(labels.get(node["id"]) for node in inputs)
        if field.errors:
            errors = page.one("ul", id=f"{field.auto_id}_error")
            assert [li.text for li in errors.all("li")] == list(field.errors)
            assert all(node.get("aria-invalid") == "true" for node in inputs)
        else:
            assert not page.all("ul", id=f"{field.auto_id}_error")
            assert not any("aria-invalid" in node.attrs for node in inputs)
        if name != "confidence":
            # A text field is described by its limit, when it has one, and by its error.
            described = [f"{field.auto_id}_helptext"] if field.help_text else []
            described += [f"{field.auto_id}_error"] if field.errors else []
            assert inputs[0].get("aria-describedby") == (" ".join(described) or None)
    # The cursor goes to the first wrong field, and nowhere else.
    focused = [
        node["name"]
        for tag in ("input", "select", "textarea")
        for node in page.all(tag)
        if "autofocus" in node.attrs
    ]
    assert focused == ([form.first_wrong] if form.first_wrong else [])
    alert = page.all("div", cls="form-errors")
    assert [div.text for div in alert] == [" ".join(form.non_field_errors())] * bool(
        form.non_field_errors()
    )
    assert all(div["role"] == "alert" for div in alert)
    # The comment and the date are tucked away, unless something is wrong with them or
    # a comment was written.
    more = page.one("details", cls="checkin-more")
    assert ("open" in more.attrs) == bool(
        form["note"].errors or form["for_date"].errors or form["note"].value()
    )
    # The cases do what they say: the wrong ones show errors, yes or no is a select.
    assert bool(page.all("ul", cls="errorlist")) == bool(form.errors)
    assert control(page, "value").tag == ("select" if FORM_CASES[case][0] is YES_NO else "input")


def test_a_refused_form_keeps_what_was_typed(cast, mission):
    page, _ = written_form(cast, mission, "a number, all wrong")

    assert control(page, "value")["value"] == "lots"
    assert control(page, "note").text == "<b>Estimated</b>"
    assert control(page, "for_date")["value"] == "soon"
    # "sure" is no confidence: none is chosen.
    assert not [radio for radio in page.all("input", type="radio") if "checked" in radio.attrs]
    assert control(page, "value").get("inputmode") == "decimal"


def test_a_blank_form_starts_from_today_and_the_last_confidence(cast, mission):
    page, _ = written_form(cast, mission, "a number, blank")

    assert "value" not in control(page, "value").attrs
    assert control(page, "for_date")["value"] == "2026-12-04"
    assert control(page, "for_date")["type"] == "date"
    radios = page.all("input", type="radio")
    assert [(radio["value"], "checked" in radio.attrs) for radio in radios] == [
        ("on_track", False),
        ("at_risk", True),
        ("off_track", False),
    ]
    assert [label.text for label in page.all("label", cls="segment")] == [
        "On track",
        "At risk",
        "Off track",
    ]
    assert page.one("button", type="submit").spoken == "Check in Waste <to> landfill"


def test_a_yes_or_no_form_asks_for_an_answer_and_keeps_the_one_given(cast, mission):
    blank, _ = written_form(cast, mission, "yes or no, blank")
    answered, _ = written_form(cast, mission, "yes or no, answered, no confidence")

    for page, chosen in ((blank, ""), (answered, "1")):
        options = control(page, "value").all("option")
        assert [(o["value"], o.text) for o in options] == [
            ("", "Yes or no?"),
            ("1", "Yes"),
            ("0", "No"),
        ]
        assert [o["value"] for o in options if "selected" in o.attrs] == [chosen]


# --- Served from the cache -------------------------------------------------------------------


def test_a_second_visit_reads_none_of_their_metrics(
    cast, login, mission, django_assert_num_queries
):
    owned(cast, mission, "Waste", due_in=-3)
    client = login(cast.member)
    client.get(page_url())
    # The session comes from the cache: the user, then their memberships (for the access
    # check and the organisation menu alike).
    with django_assert_num_queries(2):
        assert "Waste" in text(client.get(page_url()))


def test_a_check_in_from_the_cached_page_shows_at_once(
    cast, login, mission, django_capture_on_commit_callbacks
):
    metric = owned(cast, mission, "Waste", due_in=-3)
    client = login(cast.member)
    client.get(page_url())  # cached now

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            row_url(metric), {"value": "42", "confidence": "on_track", "for_date": "2026-12-04"}
        )

    assert "Checked in 42 today" in text(client.get(page_url()))


def test_a_cached_page_is_theirs_with_a_token_of_their_own(cast, mission, client):
    metric = owned(cast, mission, "Waste", due_in=-3)
    client.force_login(cast.member)
    client.get(page_url())

    # Another session of the same person: their page from the cache, with a token that
    # works in this session.
    phone = Client(enforce_csrf_checks=True)
    phone.force_login(cast.member)
    page = text(phone.get(page_url())).split('id="main"')[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = phone.post(
        row_url(metric),
        {"csrfmiddlewaretoken": token, "value": "42", "confidence": "on_track",
         "for_date": "2026-12-04"},
    )  # fmt: skip
    assert response.status_code == 302
    assert CheckIn.objects.get().value == Decimal("42")

    colleague = MembershipFactory(organisation=cast.org, role=cast.membership(cast.member).role)
    owned(cast, mission, "Their own", user=colleague.user)
    other = Client()
    other.force_login(colleague.user)
    theirs = text(other.get(page_url())).split('id="main"')[1]
    assert "Their own" in theirs
    assert "Waste" not in theirs


def test_a_refused_form_is_never_cached(cast, login, mission):
    metric = owned(cast, mission, "Waste", due_in=-3)
    client = login(cast.member)
    client.get(page_url())

    refused = client.post(
        row_url(metric), {"value": "lots", "confidence": "on_track", "for_date": "2026-12-04"}
    )
    assert "Enter a number, like 1.5." in text(refused)
    assert "Enter a number, like 1.5." not in text(client.get(page_url()))


# ---- "Change it": correcting today's reading from its row (issue 15, finding 4) ----


def row_form(page: str, metric) -> dict[str, str]:
    """What the row's form posts when sent as the page shows it, as a browser would."""
    (form,) = [
        f for f in post_forms("http://testserver/", page) if f.action.endswith(row_url(metric))
    ]
    return {
        name: field.value.removeprefix("\n") if field.kind == "textarea" else field.value
        for name, field in form.fields.items()
    }


def checked_in_today(cast, metric, **kwargs) -> CheckIn:
    reading = {"value": Decimal("42"), "confidence": "at_risk", "note": "Bins emptied late"}
    return checkin_record(metric, for_date=TODAY, author=cast.member, **(reading | kwargs))


def test_change_it_starts_from_the_reading_it_replaces(cast, login, mission):
    metric = owned(cast, mission, "Waste", due_in=0, unit="kg")
    reading = checked_in_today(cast, metric)

    page = login(cast.member).get(page_url()).content.decode()

    assert "Checked in 42 kg today" in re.sub(r"\s+", " ", page)
    shown = row_form(page, metric)
    assert (shown["value"], shown["confidence"], shown["note"], shown["for_date"]) == (
        "42",
        "at_risk",
        "Bins emptied late",
        "2026-12-04",
    )
    assert shown["replaces"] == str(reading.uid)


def test_changing_only_the_value_keeps_the_comment_and_the_confidence(cast, login, mission):
    metric = owned(cast, mission, "Waste", due_in=0)
    first = checked_in_today(cast, metric)
    client = login(cast.member)
    shown = row_form(client.get(page_url()).content.decode(), metric)

    response = client.post(row_url(metric), shown | {"value": "41"}, **HTMX)

    assert "Checked in 41 today" in text(response)
    current = CheckIn.objects.get(metric=metric, is_current=True)
    assert (current.value, current.confidence, current.note) == (
        Decimal("41"),
        "at_risk",
        "Bins emptied late",
    )
    assert current.corrects == first
    # Drawn again, the row's "Change it" starts from the correction.
    assert row_form(response.content.decode(), metric)["replaces"] == str(current.uid)


def test_change_it_keeps_a_correction_someone_made_meanwhile(cast, login, mission):
    metric = owned(cast, mission, "Waste", due_in=0)
    first = checked_in_today(cast, metric)
    client = login(cast.member)
    shown = row_form(client.get(page_url()).content.decode(), metric)
    checkin_correct(
        first,
        value=first.value,
        confidence="off_track",
        note="Bin lorry broke down",
        author=cast.admin,
    )

    response = client.post(row_url(metric), shown | {"value": "41"})

    assert response.status_code == 302
    current = CheckIn.objects.get(metric=metric, is_current=True)
    assert (current.value, current.confidence, current.note) == (
        Decimal("41"),
        "off_track",
        "Bin lorry broke down",
    )
    said = [str(m) for m in client.get(response.url).context["messages"]]
    assert said == [
        "Checked in 41 for Waste. Acme Admin changed it at 10:00 too; their changes to "
        "Confidence and Comment are kept."
    ]


def test_change_it_shows_both_values_of_a_field_both_changed(cast, login, mission):
    metric = owned(cast, mission, "Waste", due_in=0, unit="kg")
    first = checked_in_today(cast, metric)
    client = login(cast.member)
    shown = row_form(client.get(page_url()).content.decode(), metric)
    theirs = checkin_correct(
        first, value=Decimal("40"), confidence="off_track", note=first.note, author=cast.admin
    )

    refused = client.post(row_url(metric), shown | {"value": "41"}, **HTMX)

    assert refused.status_code == 422
    page = refused.content.decode()
    assert (
        "Acme Admin corrected this check-in at 10:00 while you were editing. Their change to "
        "Confidence is kept. You both changed Value (kg): yours is in the form, with the value "
        "stored now beside it."
    ) in unescape(page)
    assert "Stored now: <strong>40 kg</strong>" in page
    again = row_form(page, metric)
    assert (again["value"], again["confidence"], again["replaces"]) == (
        "41",
        "off_track",
        str(theirs.uid),
    )
    assert CheckIn.objects.get(metric=metric, is_current=True) == theirs

    assert client.post(row_url(metric), again, **HTMX).status_code == 200
    current = CheckIn.objects.get(metric=metric, is_current=True)
    assert (current.value, current.confidence, current.corrects) == (
        Decimal("41"),
        "off_track",
        theirs,
    )
