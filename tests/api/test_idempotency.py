"""How long an Idempotency-Key is remembered."""

import datetime
import json

import pytest
import time_machine
from django.test import Client

from metrics.models import CheckIn
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db


def test_a_key_is_remembered_for_a_day_then_it_is_a_new_request(world):
    cast = world.cast
    client = Client(headers={"Authorization": f"Bearer {make_token(cast.org, cast.member)}"})
    path = f"/api/v1/orgs/acme/metrics/{world.metric.uid}/checkins"

    def post():
        body = json.dumps({"value": 33, "for_date": "2026-01-10"})
        return client.post(
            path, body, content_type="application/json", headers={"Idempotency-Key": "daily"}
        )

    start = datetime.datetime(2026, 2, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        first = post()
    count = CheckIn.objects.count()
    with time_machine.travel(start + datetime.timedelta(hours=23), tick=False):
        again = post()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CheckIn.objects.count() == count
    with time_machine.travel(start + datetime.timedelta(hours=25), tick=False):
        later = post()
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    # The same date again: recorded as a correction of the first.
    assert later.json()["corrects"] == first.json()["uid"]
    assert CheckIn.objects.count() == count + 1
