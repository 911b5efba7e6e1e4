"""The demo's history is dated like a real one: its digest preview reads as a week."""

from datetime import UTC, date, datetime
from io import StringIO

import time_machine
from django.core.management import call_command
from django.urls import reverse

from metrics.models import CheckIn
from missions.models import Idea
from orgs.models import Membership

NOW = datetime(2026, 12, 3, 15, tzinfo=UTC)  # a Thursday; the demo's weeks start on Mondays
LAST_WEEK = (date(2026, 11, 23), date(2026, 11, 29))


def test_the_demo_digest_preview_shows_last_week_not_the_whole_year(db, client):
    with time_machine.travel(NOW, tick=False):
        call_command("load_demo", stdout=StringIO())
        owner = Membership.objects.select_related("user", "organisation").get(
            user__email="owner@demo.waymark.example"
        )
        client.force_login(owner.user)
        page = client.get(
            reverse("reporting:member_digest", args=[owner.organisation.slug, owner.uid])
        )
    assert page.status_code == 200
    text = page.context["text"]
    assert "from 23–29 Nov 2026" in text
    # Each reading was recorded on its own day: the year's history is not this week's news.
    readings = CheckIn.objects.filter(is_current=True)
    assert readings.count() > 50
    assert len({c.created_at.date() for c in readings}) > 20
    last_week = readings.filter(for_date__range=LAST_WEEK)
    assert 0 < last_week.count() < readings.count() / 5
    for mission in page.context["digest"].missions:
        assert mission.moved, mission.mission.title
        for move in mission.moved:
            dates = [reading.for_date for reading in move.readings]
            assert dates == sorted(dates)
            assert all(LAST_WEEK[0] <= day <= LAST_WEEK[1] for day in dates)
    assert "Metrics that moved" in text and "since the last digest" in text
    assert "Overdue" in text and "New ideas" in text
    assert Idea.objects.filter(created_at__date__range=LAST_WEEK).exists()
