"""Redis down: saving still works, nothing is lost, and the next sweep finds the work."""

import logging
from datetime import UTC, date, datetime
from unittest import mock

import time_machine
from django.core import mail
from django.urls import reverse
from kombu.exceptions import OperationalError

from core.enqueue import enqueue, enqueue_on_commit
from metrics.models import CheckIn, Metric
from reporting.tasks import send_reminder_batch, send_reminders, sweep_reminders
from tests.factories import MetricFactory

BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_enqueueing_with_the_broker_down_is_logged_not_raised(caplog):
    with (
        mock.patch.object(send_reminders, "delay", side_effect=BROKER_DOWN),
        caplog.at_level(logging.ERROR, logger="core.enqueue"),
    ):
        assert enqueue(send_reminders, 1, 2) is False
    assert "Could not enqueue reporting.tasks.send_reminders(1, 2)" in caplog.text


def test_enqueueing_on_commit_with_the_broker_down_does_not_break_the_request(
    db, django_capture_on_commit_callbacks, caplog
):
    with (
        mock.patch.object(send_reminders, "delay", side_effect=BROKER_DOWN) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        enqueue_on_commit(send_reminders, 1, 2)
    delay.assert_called_once_with(1, 2)
    assert "Could not enqueue" in caplog.text


def test_with_redis_down_a_check_in_saves_and_the_next_sweep_finds_the_work(cast, scene, login):
    late = scene.metric  # a week late: the member is reminded, the mission owner told
    Metric.objects.filter(pk=late.pk).update(
        next_due_on=date(2026, 3, 3), cadence="weekly", created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    other = MetricFactory(goal=late.goal, name="Waste", owner=cast.member)
    Metric.objects.filter(pk=other.pk).update(next_due_on=date(2026, 4, 1))
    url = reverse("metrics:check_in", args=["acme", "net-zero", other.uid])
    with (
        time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False),
        mock.patch.object(send_reminder_batch, "delay", side_effect=BROKER_DOWN),
    ):
        response = login(cast.member).post(
            url, {"value": "22", "for_date": "2026-03-10", "confidence": "on_track"}
        )
        assert response.status_code == 302
        assert sweep_reminders() == 0  # beat's sweep, on a worker: nothing could be queued
    assert CheckIn.objects.filter(metric=other, value=22).exists()
    assert mail.outbox == []

    with time_machine.travel(datetime(2026, 3, 10, 9, 15, tzinfo=UTC), tick=False):
        assert sweep_reminders() == 2
    assert sorted(m.to[0] for m in mail.outbox) == [cast.member.email, cast.owner.email]
