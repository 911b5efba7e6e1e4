"""The reminder schedule as pure dates: when each step starts, and which due dates a
sweep has to read to find every metric at the start of a step."""

from datetime import date, timedelta

import pytest

from metrics.models import Cadence
from reporting.reminders import CATCH_UP_DAYS, HEADS_UP_DAYS, due_date_windows, late_steps, step_on

DUE = date(2026, 3, 10)


def on(days: int) -> date:
    return DUE + timedelta(days=days)


@pytest.mark.parametrize("cadence", list(Cadence))
def test_nothing_is_said_before_the_heads_up(cadence):
    assert step_on(cadence, DUE, on(-HEADS_UP_DAYS[cadence] - 1)) is None


@pytest.mark.parametrize("cadence", list(Cadence))
def test_the_heads_up_lasts_until_the_due_date(cadence):
    heads_up = HEADS_UP_DAYS[cadence]
    for days in range(-heads_up, 0):
        assert step_on(cadence, DUE, on(days)).key == "ahead"
    assert step_on(cadence, DUE, DUE).key == "due"


def test_late_reminders_back_off_and_stop_after_a_year():
    keys = [step_on(Cadence.MONTHLY, DUE, on(days)).key for days in (1, 2, 3, 6, 7, 13, 14, 29)]
    assert keys == [
        "late-1",
        "late-1",
        "late-3",
        "late-3",
        "late-7",
        "late-7",
        "late-14",
        "late-14",
    ]
    assert step_on(Cadence.MONTHLY, DUE, on(30)).key == "late-30"
    assert step_on(Cadence.MONTHLY, DUE, on(800)).key == "late-360"  # already sent: silence


def test_a_quarterly_metric_has_a_step_when_it_is_a_whole_cadence_late():
    assert 91 in late_steps(Cadence.QUARTERLY)
    assert step_on(Cadence.QUARTERLY, DUE, on(91)).key == "late-91"


@pytest.mark.parametrize("cadence", list(Cadence))
def test_the_windows_cover_every_step_start_in_every_time_zone(cadence):
    today_utc = date(2026, 3, 20)
    windows = due_date_windows(today_utc)

    def covered(due: date) -> bool:
        return any(start <= due <= end for start, end in windows)

    # The recipient's day is up to 2 days behind UTC's (UTC-12, before their hour) and
    # one ahead (UTC+14); a step may be caught up for CATCH_UP_DAYS.
    for local_day in (today_utc + timedelta(days=d) for d in (-2, -1, 0, 1)):
        for starts in [-HEADS_UP_DAYS[cadence], 0, *late_steps(cadence)]:
            for late_by in range(CATCH_UP_DAYS + 1):
                assert covered(local_day - timedelta(days=starts + late_by))


def test_the_windows_leave_out_metrics_between_steps():
    windows = due_date_windows(date(2026, 3, 20))
    # 20 days late is well between the 14- and 30-day steps.
    assert not any(start <= date(2026, 2, 28) <= end for start, end in windows)
