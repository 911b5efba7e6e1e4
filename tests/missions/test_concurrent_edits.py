"""Two people save the same mission, goal, metric or check-in correction at the same
moment, through real requests against PostgreSQL: one wins, the other is told and keeps
what they typed.

Each kind is tried ROUNDS (20) times. In a round an admin and the mission's owner (a
member) each load the edit page with their own client, then post different edits
released together by a barrier. Every round must end with exactly one 302 and one 409,
the stored row holding the winner's edit, the loser's page holding what they typed, and
the two requests overlapping in time. Each test prints a one-line tally; to see it:

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

from metrics.models import CheckIn
from metrics.services import checkin_record
from tests.conftest import require_service
from tests.editables import as_loaded, hidden_version, make_editable

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

    tally(kind, winners, overlapping)
    assert sum(winners.values()) == ROUNDS
    assert overlapping == ROUNDS, "the two requests ran at the same time in every round"


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
