"""A check-in without a date is for the organisation's today, not the server's."""

import datetime
import json

import pytest
import time_machine
from django.test import Client

from orgs.models import Organisation
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db


def test_a_reading_without_a_date_is_for_the_organisations_today(world):
    cast = world.cast
    Organisation.objects.filter(pk=cast.org.pk).update(time_zone="Pacific/Auckland")
    client = Client(headers={"Authorization": f"Bearer {make_token(cast.org, cast.member)}"})
    # 20:00 UTC on 1 March is already 2 March in Auckland.
    with time_machine.travel(datetime.datetime(2026, 3, 1, 20, 0, tzinfo=datetime.UTC)):
        answer = client.post(
            f"/api/v1/orgs/acme/metrics/{world.metric.uid}/checkins",
            json.dumps({"value": 30}),
            content_type="application/json",
        )
    assert answer.status_code == 201, answer.content
    assert answer.json()["for_date"] == "2026-03-02"
    world.metric.refresh_from_db()
    assert world.metric.next_due_on == world.metric.next_due_date()
