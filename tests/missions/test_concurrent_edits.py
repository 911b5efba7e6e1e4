"""Two people save the same mission, goal, metric or check-in correction at the same
moment, through real requests against PostgreSQL. When they changed the same field to
different values, one wins and the other is told, keeps what they typed and, saving
again, keeps the winner's other changes; when they changed different fields, both saves
go through and both changes are kept.

Each kind is tried ROUNDS (20) times. In a round an admin and the mission's owner (a
member) each load the edit page with their own client, then post their edits released
together by a barrier. A round of edits to the same field must end with exactly one 302
and one 409, the stored row holding the winner's edit, the loser's page holding what
they typed, and the two requests overlapping in time. Each test prints a one-line tally;
to see it:

    pytest -rA tests/missions/test_concurrent_edits.py

e.g. "mission: 20 rounds, 20 with one winner and one refused, 20 overlapping; won by
admin 12, member 8".
"""

import datetime
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, Change
from metrics.models import CheckIn
from metrics.services import checkin_record
from tests.conftest import require_service
from tests.editables import as_loaded, as_shown, hidden_version, make_editable

ROUNDS = 20


@dataclass
class Outcome:
    status: int
    page: str
    started: float
    finished: float


def post_together(posts: dict[str, Callable[[], Any]]) -> dict[str, Outcome]:
    """Run each post in its own thread (so on its own database connection), released at
    the same moment."""
    barrier = threading.Barrier(len(posts))
    outcomes: dict[str, Outcome] = {}

    def run(who: str, post: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            started = time.monotonic()
            response = post()
            outcomes[who] = Outcome(
                response.status_code, response.content.decode(), started, time.monotonic()
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in posts.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.keys() == posts.keys(), "every request came back"
    return outcomes


def overlapped(outcomes: dict[str, Outcome]) -> bool:
    first, second = outcomes.values()
    return first.started < second.finished and second.started < first.finished


def clients_for(*people: Any) -> dict[str, Client]:
    clients = {}
    for person in people:
        clients[person.email.split("@")[0]] = client = Client()
        client.force_login(person)
    return clients


def tally(kind: str, winners: Counter[str], overlapping: int) -> None:
    won = ", ".join(f"{who} {n}" for who, n in sorted(winners.items()))
    print(
        f"{kind}: {ROUNDS} rounds, {sum(winners.values())} with one winner and one refused, "
        f"{overlapping} overlapping; won by {won}"
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["mission", "goal", "metric"])
def test_of_two_simultaneous_edits_one_wins_and_the_other_keeps_what_they_typed(cast, kind):
    require_service(connection.vendor == "postgresql", "PostgreSQL (real concurrent writes)")
    editable = make_editable(cast, kind)
    clients = clients_for(cast.admin, cast.member)
    winners: Counter[str] = Counter()
    overlapping = 0

    for n in range(ROUNDS):
        loaded = {who: client.get(editable.url).text for who, client in clients.items()}
        version = editable.stored().version
        assert {hidden_version(page) for page in loaded.values()} == {str(version)}
        typed = {
            who: as_loaded(editable.form()) | {editable.text_field: f"{who}'s edit, round {n}"}
            for who in clients
        }
        # Only the admin changes this one: whoever wins, it must survive the other's save.
        typed["admin"][editable.other_field] = f"admin's other edit, round {n}"

        outcomes = post_together(
            {who: partial(clients[who].post, editable.url, typed[who]) for who in clients}
        )

        statuses = sorted(outcome.status for outcome in outcomes.values())
        assert statuses == [302, 409], f"round {n}: {statuses}"
        winner = next(who for who, outcome in outcomes.items() if outcome.status == 302)
        loser = next(who for who in outcomes if who != winner)
        row = editable.stored()
        assert getattr(row, editable.text_field) == typed[winner][editable.text_field]
        assert row.version == version + 1
        # Unescaped: a quote in a value is written as an entity.
        assert f'value="{typed[loser][editable.text_field]}"' in unescape(outcomes[loser].page)
        assert "while you were editing" in outcomes[loser].page
        winners[winner] += 1
        overlapping += overlapped(outcomes)

        # Saving the refused page as shown keeps the loser's edit and the admin's other one.
        again = clients[loser].post(editable.url, as_shown(outcomes[loser].page))
        assert again.status_code == 302, f"round {n}"
        row = editable.stored()
        assert getattr(row, editable.text_field) == typed[loser][editable.text_field]
        assert getattr(row, editable.other_field) == typed["admin"][editable.other_field]
        assert row.version == version + 2

    tally(kind, winners, overlapping)
    # The history never shows the admin's other edit put back by the other person's save.
    assert [
        change.after[editable.other_field]
        for change in edits_of(editable.row, editable.other_field)
    ] == [f"admin's other edit, round {n}" for n in range(ROUNDS)]
    assert sum(winners.values()) == ROUNDS
    assert overlapping == ROUNDS, "the two requests ran at the same time in every round"


def edits_of(row: Any, field: str) -> list[Change]:
    """The recorded edits of `row` that changed `field`, oldest first."""
    changes = Change.objects.filter(object_id=row.pk, action=Action.UPDATE).order_by("at", "id")
    return [c for c in changes if c.subject == row._meta.model_name and field in c.after]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["mission", "goal", "metric"])
def test_of_two_simultaneous_edits_of_different_fields_both_are_kept(cast, kind):
    require_service(connection.vendor == "postgresql", "PostgreSQL (real concurrent writes)")
    editable = make_editable(cast, kind)
    clients = clients_for(cast.admin, cast.member)
    fields = {"admin": editable.text_field, "member": editable.other_field}
    merged: Counter[str] = Counter()
    overlapping = 0

    for n in range(ROUNDS):
        version = editable.stored().version
        loaded = as_loaded(editable.form())
        typed = {who: loaded | {fields[who]: f"{who}'s edit, round {n}"} for who in clients}

        outcomes = post_together(
            {who: partial(clients[who].post, editable.url, typed[who]) for who in clients}
        )

        assert [outcome.status for outcome in outcomes.values()] == [302, 302], f"round {n}"
        row = editable.stored()
        for who, field in fields.items():
            assert getattr(row, field) == f"{who}'s edit, round {n}", f"round {n}"
        assert row.version == version + 2
        # The second to save merged: its message names the first one's change.
        said = {
            who: [str(m) for m in clients[who].get(editable.url).context["messages"]]
            for who in clients
        }
        merged.update(who for who, messages in said.items() if "too; their change" in messages[0])
        overlapping += overlapped(outcomes)

    print(
        f"{kind}, different fields: {ROUNDS} rounds, both kept in every one; merged by "
        f"admin {merged['admin']}, member {merged['member']}; {overlapping} overlapping"
    )
    assert sum(merged.values()) == ROUNDS
    assert overlapping == ROUNDS, "the two requests ran at the same time in every round"
    # The history has every edit of each field once, none undone by the other's save.
    for who, field in fields.items():
        assert [change.after[field] for change in edits_of(editable.row, field)] == [
            f"{who}'s edit, round {n}" for n in range(ROUNDS)
        ]


@pytest.mark.django_db(transaction=True)
def test_of_two_simultaneous_check_in_corrections_one_wins_and_the_other_keeps_theirs(cast):
    require_service(connection.vendor == "postgresql", "PostgreSQL (real concurrent writes)")
    metric = make_editable(cast, "metric").row
    on = timezone.localdate() - datetime.timedelta(days=1)
    first = checkin_record(
        metric,
        value=Decimal("100"),
        for_date=on,
        author=cast.member,
        confidence="on_track",
    )
    clients = clients_for(cast.admin, cast.member)
    winners: Counter[str] = Counter()
    overlapping = 0

    current = first
    for n in range(ROUNDS):
        url = reverse("metrics:correct", args=["acme", "zero-waste", metric.uid, current.uid])
        assert all(client.get(url).status_code == 200 for client in clients.values())
        typed = {
            who: {
                "value": str(200 + 2 * n + (who == "member")),
                "confidence": "at_risk",
                "note": f"{who}'s reading, round {n}",
            }
            for who in clients
        }

        outcomes = post_together(
            {who: partial(clients[who].post, url, typed[who]) for who in clients}
        )

        statuses = sorted(outcome.status for outcome in outcomes.values())
        assert statuses == [302, 409], f"round {n}: {statuses}"
        winner = next(who for who, outcome in outcomes.items() if outcome.status == 302)
        loser = next(who for who in outcomes if who != winner)
        current = CheckIn.objects.get(metric=metric, is_current=True)
        assert current.value == Decimal(typed[winner]["value"])
        assert current.note == typed[winner]["note"]
        assert f'value="{typed[loser]["value"]}"' in outcomes[loser].page
        assert typed[loser]["note"] in unescape(outcomes[loser].page)
        winners[winner] += 1
        overlapping += overlapped(outcomes)

    tally("check-in correction", winners, overlapping)
    # Nothing lost: the first reading and every winning correction, each replacing the last.
    assert CheckIn.objects.filter(metric=metric).count() == ROUNDS + 1
    assert CheckIn.objects.filter(metric=metric, is_current=True).count() == 1
    assert sum(winners.values()) == ROUNDS
    assert overlapping == ROUNDS, "the two requests ran at the same time in every round"


@pytest.mark.django_db(transaction=True)
def test_of_two_simultaneous_corrections_of_different_fields_both_are_kept(cast):
    require_service(connection.vendor == "postgresql", "PostgreSQL (real concurrent writes)")
    metric = make_editable(cast, "metric").row
    on = timezone.localdate() - datetime.timedelta(days=1)
    current = checkin_record(
        metric, value=Decimal("100"), for_date=on, author=cast.member, confidence="on_track"
    )
    clients = clients_for(cast.admin, cast.member)
    overlapping = 0

    for n in range(ROUNDS):
        url = reverse("metrics:correct", args=["acme", "zero-waste", metric.uid, current.uid])
        loaded = {"value": str(current.value), "confidence": "on_track", "note": current.note}
        typed = {
            "admin": loaded | {"value": str(200 + n)},
            "member": loaded | {"note": f"member's reading, round {n}"},
        }

        outcomes = post_together(
            {who: partial(clients[who].post, url, typed[who]) for who in clients}
        )

        assert [outcome.status for outcome in outcomes.values()] == [302, 302], f"round {n}"
        current = CheckIn.objects.get(metric=metric, is_current=True)
        assert (current.value, current.note) == (Decimal(200 + n), f"member's reading, round {n}")
        overlapping += overlapped(outcomes)

    print(
        f"check-in correction, different fields: {ROUNDS} rounds, both kept in every one; "
        f"{overlapping} overlapping"
    )
    # Nothing lost: the first reading and both corrections of every round.
    assert CheckIn.objects.filter(metric=metric).count() == 2 * ROUNDS + 1
    assert overlapping == ROUNDS, "the two requests ran at the same time in every round"
