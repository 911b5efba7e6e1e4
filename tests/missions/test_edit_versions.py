"""Two people editing the same mission, goal or metric: the edit form carries the version it
was loaded at, and a save from an out-of-date form is refused without losing anything."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import signing
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone

from metrics.services import checkin_record
from missions.models import Mission
from orgs.services import membership_remove
from tests.editables import Editable, as_loaded, as_shown, hidden_version, make_editable
from tests.factories import GoalFactory

# 13:02 UTC is 14:02 in London, the organisation's time zone, in June.
AT_1402 = "2026-06-15 13:02Z"


@pytest.fixture(params=["mission", "goal", "metric"])
def editable(request, cast) -> Editable:
    return make_editable(cast, request.param)


def test_the_edit_page_carries_the_version_it_shows(cast, login, editable):
    page = login(cast.admin).get(editable.url)
    assert hidden_version(page.text) == "1"


def test_an_edit_moves_the_version_on_and_says_who_made_it(cast, login, editable):
    typed = as_loaded(editable.form()) | {editable.text_field: "Renamed"}
    assert login(cast.admin).post(editable.url, typed).status_code == 302
    row = editable.stored()
    assert getattr(row, editable.text_field) == "Renamed"
    assert (row.version, row.edited_by) == (2, cast.admin)


@time_machine.travel(AT_1402, tick=False)
def test_an_edit_of_a_field_someone_changed_meanwhile_is_refused_and_loses_nothing(
    cast, login, editable
):
    mine = as_loaded(editable.form())  # the member opens the form...
    theirs = as_loaded(editable.form()) | {editable.text_field: "Their name for it"}
    assert login(cast.admin).post(editable.url, theirs).status_code == 302  # ...an admin saves

    typed = mine | {editable.text_field: "My careful name"}
    response = login(cast.member).post(editable.url, typed)

    assert response.status_code == 409
    label = editable.text_field.capitalize()
    assert (
        f"Acme Admin changed this {editable.kind} at 14:02 while you were editing. You both "
        f"changed {label}: yours is in the form, with the value stored now beside it. Keep "
        "yours, or change it, and save again."
    ) in response.text
    assert 'value="My careful name"' in response.text  # what they typed, still in the field
    assert "Stored now: <strong>Their name for it</strong>" in response.text
    assert hidden_version(response.text) == "2"  # the version they have now been shown
    row = editable.stored()
    assert getattr(row, editable.text_field) == "Their name for it"
    assert (row.version, row.edited_by) == (2, cast.admin)


def test_saving_the_refused_form_again_goes_through(cast, login, editable):
    mine = as_loaded(editable.form())
    theirs = as_loaded(editable.form()) | {editable.text_field: "Their name for it"}
    login(cast.admin).post(editable.url, theirs)
    client = login(cast.member)
    refused = client.post(editable.url, mine | {editable.text_field: "My careful name"})

    again = client.post(editable.url, as_shown(refused.text))

    assert again.status_code == 302
    row = editable.stored()
    assert getattr(row, editable.text_field) == "My careful name"
    assert (row.version, row.edited_by) == (3, cast.member)


@time_machine.travel(AT_1402, tick=False)
def test_edits_of_different_fields_both_survive_without_a_conflict(cast, login, editable):
    mine = as_loaded(editable.form())
    theirs = as_loaded(editable.form()) | {editable.text_field: "Their name for it"}
    assert login(cast.admin).post(editable.url, theirs).status_code == 302

    client = login(cast.member)
    response = client.post(editable.url, mine | {editable.other_field: "My words"})

    assert response.status_code == 302
    row = editable.stored()
    assert getattr(row, editable.text_field) == "Their name for it"
    assert getattr(row, editable.other_field) == "My words"
    assert (row.version, row.edited_by) == (3, cast.member)
    label = editable.text_field.capitalize()
    said = [str(m) for m in client.get(response.url).context["messages"]]
    assert said == [
        f"{editable.kind.capitalize()} saved. Acme Admin changed it at 14:02 too; their change "
        f"to {label} is kept."
    ]


def test_only_the_fields_both_changed_show_their_stored_value(cast, login, editable):
    mine = as_loaded(editable.form())
    login(cast.admin).post(editable.url, mine | {editable.text_field: "Their name for it"})
    typed = mine | {editable.text_field: "My careful name", editable.other_field: "My words"}
    response = login(cast.member).post(editable.url, typed)
    assert response.status_code == 409
    assert response.text.count("Stored now:") == 1
    assert "Stored now: <strong>Their name for it</strong>" in response.text


def test_the_same_change_made_by_both_is_no_conflict(cast, login, editable):
    mine = as_loaded(editable.form())
    login(cast.admin).post(editable.url, mine | {editable.text_field: "The obvious name"})
    typed = mine | {editable.text_field: "The obvious name", editable.other_field: "My words"}
    assert login(cast.member).post(editable.url, typed).status_code == 302
    row = editable.stored()
    assert (getattr(row, editable.text_field), getattr(row, editable.other_field)) == (
        "The obvious name",
        "My words",
    )


def test_the_stored_value_is_tied_to_its_field_for_screen_readers(cast, login, editable):
    mine = as_loaded(editable.form())
    login(cast.admin).post(editable.url, mine | {editable.text_field: "Their name for it"})
    response = login(cast.member).post(editable.url, mine | {editable.text_field: "Mine"})
    field_id = f"id_{editable.text_field}"
    tag = re.search(rf'<input [^>]*id="{field_id}"[^>]*>', response.text)
    assert tag, "the field is on the page"
    described = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    assert described and f"{field_id}_stored" in described.group(1).split()
    assert f'id="{field_id}_stored"' in response.text


def test_a_refused_edit_asked_for_by_htmx_is_answered_422_so_it_is_shown(cast, login, editable):
    mine = as_loaded(editable.form())
    login(cast.admin).post(editable.url, mine | {editable.text_field: "Theirs"})
    response = login(cast.member).post(
        editable.url, mine | {editable.text_field: "Mine"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "while you were editing" in response.text


@pytest.mark.parametrize(
    "base",
    [
        pytest.param(lambda loaded: "", id="missing"),
        pytest.param(lambda loaded: loaded[:-2] + "xx", id="altered"),
        pytest.param(lambda loaded: signing.dumps({"title": "x"}), id="signed-for-nothing"),
    ],
)
def test_without_a_genuine_record_of_where_it_started_every_difference_is_shown(
    cast, login, editable, base
):
    """The values a form started from decide which stored changes it keeps; ones the
    server did not sign for this row and version are not believed: every field that
    differs is shown beside its stored value, and nothing is written."""
    mine = as_loaded(editable.form())
    login(cast.admin).post(editable.url, mine | {editable.text_field: "Their name for it"})
    typed = mine | {editable.other_field: "My words", "base": base(mine["base"])}

    response = login(cast.member).post(editable.url, typed)

    assert response.status_code == 409
    assert "Stored now: <strong>Their name for it</strong>" in response.text
    assert "Your changes are below; the current values are shown beside them" in response.text
    row = editable.stored()
    assert getattr(row, editable.other_field) != "My words"
    assert row.version == 2


def test_the_record_of_another_version_is_not_believed(cast, login, editable):
    loaded = as_loaded(editable.form())
    client = login(cast.admin)
    client.post(editable.url, loaded | {editable.text_field: "Second"})
    later = as_loaded(editable.form())
    client.post(editable.url, later | {editable.text_field: "Third"})

    # Version 1's form with version 2's record of where it started: "Third" would be
    # taken for the member's own edit and kept silently.
    typed = loaded | {"base": later["base"], editable.other_field: "My words"}
    response = login(cast.member).post(editable.url, typed)

    assert response.status_code == 409
    assert getattr(editable.stored(), editable.text_field) == "Third"


@pytest.mark.parametrize(
    "version", ["abc", "", "0", "-1", "1.5", "99999999999999999999", "1\x00", None]
)
def test_a_missing_or_garbled_version_is_a_message_not_a_500(cast, login, editable, version):
    typed = as_loaded(editable.form()) | {editable.text_field: "My careful name"}
    if version is None:
        typed.pop("version")
    else:
        typed["version"] = version
    response = login(cast.admin).post(editable.url, typed)

    assert response.status_code == 400
    assert (
        f"This page did not say which version of the {editable.kind} you started from, so "
        "nothing was saved."
    ) in response.text
    assert 'value="My careful name"' in response.text
    assert hidden_version(response.text) == "1"  # so saving again, having looked, works
    row = editable.stored()
    assert getattr(row, editable.text_field) != "My careful name"
    assert row.version == 1


# --- Changes that are not edits leave open forms valid --------------------------------------


def test_archiving_leaves_an_open_edit_form_valid_and_the_edit_keeps_it_archived(cast, login):
    editable = make_editable(cast, "mission")
    client = login(cast.admin)
    typed = as_loaded(editable.form()) | {"purpose": "A sharper purpose."}
    client.post(reverse("missions:archive", args=["acme", "zero-waste"]))

    assert client.post(editable.url, typed).status_code == 302
    mission = editable.stored()
    assert mission.purpose == "A sharper purpose."
    assert mission.is_archived


def test_an_archive_that_lands_while_an_edit_is_saved_is_not_undone(cast, login):
    """The edit writes only its form's fields, not the whole row as the view read it."""
    editable = make_editable(cast, "mission")

    def archived_meanwhile(sender, instance, **kwargs):
        pre_save.disconnect(archived_meanwhile, sender=Mission)
        Mission.objects.filter(pk=instance.pk).update(archived_at=timezone.now())

    typed = as_loaded(editable.form()) | {"purpose": "A sharper purpose."}
    pre_save.connect(archived_meanwhile, sender=Mission)
    try:
        response = login(cast.admin).post(editable.url, typed)
    finally:
        pre_save.disconnect(archived_meanwhile, sender=Mission)

    assert response.status_code == 302
    mission = editable.stored()
    assert mission.purpose == "A sharper purpose."
    assert mission.is_archived


def test_moving_goals_leaves_an_open_goal_form_valid_and_the_edit_keeps_the_order(cast, login):
    editable = make_editable(cast, "goal")
    mission = editable.row.mission
    GoalFactory(mission=mission, title="Compost the rest", position=99)
    client = login(cast.admin)
    typed = as_loaded(editable.form()) | {"title": "Halve food waste by 2028"}
    move = reverse("reporting:goal_move", args=["acme", mission.slug, editable.row.uid])
    client.post(move, {"direction": "down"})

    assert client.post(editable.url, typed).status_code == 302
    assert [g.title for g in mission.goals.all()] == [
        "Compost the rest",
        "Halve food waste by 2028",
    ]


@time_machine.travel(AT_1402, tick=False)
def test_a_check_in_leaves_an_open_metric_form_valid_and_the_edit_keeps_its_value(cast, login):
    editable = make_editable(cast, "metric")
    client = login(cast.admin)
    typed = as_loaded(editable.form()) | {"source_note": "The waste contractor's invoices"}
    checkin_record(
        editable.row,
        value=Decimal("42"),
        for_date=datetime.date(2026, 6, 1),
        author=cast.member,
        confidence="at_risk",
    )

    assert client.post(editable.url, typed).status_code == 302
    metric = editable.stored()
    assert metric.source_note == "The waste contractor's invoices"
    assert (metric.latest_value, metric.latest_confidence) == (Decimal("42"), "at_risk")
    assert metric.version == 2


@time_machine.travel(AT_1402, tick=False)
def test_removing_the_owner_from_the_organisation_is_kept_by_an_edit_that_left_the_owner(
    cast, login, editable
):
    typed = as_loaded(editable.form()) | {editable.text_field: "My careful name"}
    assert typed["owner"] == cast.member.email
    membership_remove(cast.membership(cast.member), removed_by=cast.membership(cast.owner))

    client = login(cast.admin)
    response = client.post(editable.url, typed)

    # The member who left is no longer a choice, but this edit did not choose them: it
    # keeps the removal, and says so.
    assert response.status_code == 302
    row = editable.stored()
    assert (row.owner, getattr(row, editable.text_field)) == (None, "My careful name")
    said = [str(m) for m in client.get(response.url).context["messages"]]
    assert said == [
        f"{editable.kind.capitalize()} saved. Acme Owner changed it at 14:02 too; their change "
        "to Owner is kept."
    ]


@time_machine.travel(AT_1402, tick=False)
def test_two_edits_that_are_fine_alone_but_not_together_are_refused_with_the_reason(cast, login):
    editable = make_editable(cast, "mission")
    mine = as_loaded(editable.form())
    assert (mine["starts_on"], mine["ends_on"]) == ("2026-06-15", "")
    login(cast.admin).post(editable.url, mine | {"starts_on": "2029-01-01"})

    response = login(cast.member).post(editable.url, mine | {"ends_on": "2028-12-31"})

    assert response.status_code == 400
    assert "The end date must be after the start date." in response.text
    assert (
        "Acme Admin changed this mission at 14:02 while you were editing. Their change to "
        "Starts on is kept."
    ) in response.text
    assert as_shown(response.text)["starts_on"] == "2029-01-01"
    assert hidden_version(response.text) == "2"
    assert (editable.stored().starts_on, editable.stored().ends_on) == (
        datetime.date(2029, 1, 1),
        None,
    )
