"""Two people editing the same mission, goal or metric: the edit form carries the version it
was loaded at, and a save from an out-of-date form is refused without losing anything."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone

from metrics.services import checkin_record
from missions.models import Mission
from orgs.services import membership_remove
from tests.editables import Editable, as_loaded, hidden_version, make_editable
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
def test_an_edit_from_an_out_of_date_form_is_refused_and_loses_nothing(cast, login, editable):
    mine = as_loaded(editable.form())  # the member opens the form...
    theirs = as_loaded(editable.form()) | {editable.text_field: "Their name for it"}
    assert login(cast.admin).post(editable.url, theirs).status_code == 302  # ...an admin saves

    typed = mine | {editable.text_field: "My careful name"}
    response = login(cast.member).post(editable.url, typed)

    assert response.status_code == 409
    assert (
        f"Acme Admin changed this {editable.kind} at 14:02 while you were editing. Your changes "
        "are below; the current values are shown beside them — review and save again."
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
    typed = mine | {editable.text_field: "My careful name"}
    refused = client.post(editable.url, typed)

    again = client.post(editable.url, typed | {"version": hidden_version(refused.text)})

    assert again.status_code == 302
    row = editable.stored()
    assert getattr(row, editable.text_field) == "My careful name"
    assert (row.version, row.edited_by) == (3, cast.member)


def test_only_the_fields_that_differ_show_their_stored_value(cast, login, editable):
    mine = as_loaded(editable.form())
    login(cast.admin).post(editable.url, mine | {editable.text_field: "Their name for it"})
    response = login(cast.member).post(editable.url, mine)
    assert response.text.count("Stored now:") == 1


def test_the_stored_value_is_tied_to_its_field_for_screen_readers(cast, login, editable):
    mine = as_loaded(editable.form())
    login(cast.admin).post(editable.url, mine | {editable.text_field: "Their name for it"})
    response = login(cast.member).post(editable.url, mine)
    field_id = f"id_{editable.text_field}"
    tag = re.search(rf'<input [^>]*id="{field_id}"[^>]*>', response.text)
    assert tag, "the field is on the page"
    described = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    assert described and f"{field_id}_stored" in described.group(1).split()
    assert f'id="{field_id}_stored"' in response.text


def test_a_refused_edit_asked_for_by_htmx_is_answered_422_so_it_is_shown(cast, login, editable):
    mine = as_loaded(editable.form())
    login(cast.admin).post(editable.url, mine | {editable.text_field: "Theirs"})
    response = login(cast.member).post(editable.url, mine, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "while you were editing" in response.text


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
def test_removing_the_owner_from_the_organisation_puts_open_forms_out_of_date(
    cast, login, editable
):
    typed = as_loaded(editable.form()) | {editable.text_field: "My careful name"}
    assert typed["owner"] == cast.member.email
    membership_remove(cast.membership(cast.member), removed_by=cast.membership(cast.owner))

    response = login(cast.admin).post(editable.url, typed)

    # Their owner is no longer a choice, and the form says why.
    assert response.status_code == 409
    assert f"Acme Owner changed this {editable.kind} at 14:02" in response.text
    assert "Stored now: <strong>Nobody yet</strong>" in response.text
    assert "Select a valid choice" in response.text
    assert editable.stored().owner is None
