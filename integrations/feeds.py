"""Metrics that update themselves: a metric's feed fetches a CSV or JSON address on the
metric's cadence, reads one number from it, and records it as a check-in, through the
same service the check-in form uses (metrics.services.checkin_record), with Waymark as
its author and the address as its note. A fetch that fails records nothing: the failure
is kept on the feed, shown on the metric's page, and its owner is told, once a run of
failures."""

import csv
import io
import json
import logging
import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from integrations import outbound
from integrations.models import FeedFormat, MetricFeed
from metrics.models import CADENCE_DAYS, Cadence, CheckIn, Confidence, Metric
from metrics.services import CheckInConflict, checkin_record
from orgs.emails import from_address, subject_line

logger = logging.getLogger(__name__)

# A feed that failed is tried again this soon, rather than a whole cadence later.
RETRY_AFTER = timedelta(hours=6)

CELL = re.compile(r"^([A-Za-z]{1,3})([1-9][0-9]{0,6})$")
COLUMN = re.compile(r"^[A-Za-z]{1,3}$")
PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class FeedError(ValueError):
    """The value could not be read; the message says why, for the metric's owner."""


def number(raw: Any) -> Decimal:
    """A number from a cell or a JSON value: "1,234.5", "£12", "45%" and 3.2 all read."""
    if isinstance(raw, bool) or raw is None:
        raise FeedError(f"Expected a number, found {json.dumps(raw)}.")
    text = str(raw).strip().replace(",", "").replace(" ", "")
    text = text.strip("£$€%")
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise FeedError(f"Expected a number, found “{str(raw)[:40]}”.") from error
    if not value.is_finite():
        raise FeedError(f"Expected a number, found “{str(raw)[:40]}”.")
    return value


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def selector_problem(format: str, selector: str) -> str | None:
    """Why this selector cannot work, for the form; None when it can."""
    selector = selector.strip()
    if not selector:
        return "Say where the value is."
    if format == FeedFormat.JSON and not _path(selector):
        return "Write a path such as data.items[0].value."
    return None


def read_csv(content: str, selector: str) -> Decimal:
    """The number at a cell ("B7"), or the last one in a column, named by its letter
    ("B") or by its heading in the first row ("Revenue")."""
    rows = list(csv.reader(io.StringIO(content)))
    if not rows:
        raise FeedError("The file is empty.")
    selector = selector.strip()
    cell = CELL.match(selector)
    if cell:
        column, row = _column_index(cell.group(1)), int(cell.group(2)) - 1
        if row >= len(rows) or column >= len(rows[row]):
            raise FeedError(f"The file has no cell {selector.upper()}.")
        return number(rows[row][column])
    headings = [heading.strip().lower() for heading in rows[0]]
    if selector.lower() in headings:
        column = headings.index(selector.lower())
        body = rows[1:]
    elif COLUMN.match(selector):
        column = _column_index(selector)
        body = rows
    else:
        raise FeedError(f"No column is headed “{selector}”.")
    values = [row[column] for row in body if column < len(row) and row[column].strip()]
    if not values:
        raise FeedError(f"The column {selector} has no values.")
    return number(values[-1])


def _path(selector: str) -> list[str | int]:
    parts: list[str | int] = []
    position = 0
    for match in PATH_PART.finditer(selector.strip()):
        between = selector.strip()[position : match.start()]
        if between not in ("", "."):
            return []
        parts.append(int(match.group(2)) if match.group(2) is not None else match.group(1))
        position = match.end()
    return parts if position == len(selector.strip()) else []


def _step(found: Any, part: str | int, walked: str) -> Any:
    if isinstance(part, int):
        if isinstance(found, list) and part < len(found):
            return found[part]
    elif isinstance(found, dict) and part in found:
        return found[part]
    raise FeedError(f"The JSON has nothing at {walked}.")


def read_json(content: str, selector: str) -> Decimal:
    """The number at a path such as data.items[0].value."""
    try:
        found: Any = json.loads(content)
    except ValueError as error:
        raise FeedError("The answer is not JSON.") from error
    walked = ""
    for part in _path(selector):
        walked += f"[{part}]" if isinstance(part, int) else (f".{part}" if walked else part)
        found = _step(found, part, walked)
    return number(found)


def feed_value(feed: MetricFeed) -> Decimal:
    """Fetch the address and read the value; FeedError (or the address's refusal) if not."""
    accept = "application/json" if feed.format == FeedFormat.JSON else "text/csv"
    try:
        answer = outbound.request("GET", feed.url, headers={"Accept": accept})
    except (outbound.RefusedAddress, outbound.FetchFailed) as failure:
        raise FeedError(str(failure)) from failure
    if answer.status != 200:
        raise FeedError(f"The address answered {answer.status}.")
    text = answer.body.decode("utf-8-sig", errors="replace")
    return (
        read_json(text, feed.selector)
        if feed.format == FeedFormat.JSON
        else read_csv(text, feed.selector)
    )


def _storable(value: Decimal) -> Decimal:
    """The value as a check-in stores it (four places), if it fits: the same validation
    the check-in form's field gives."""
    if value.adjusted() >= 12:
        raise FeedError(f"{value} is too large for a metric’s value.")
    rounded = value.quantize(Decimal("0.0001"))
    CheckIn._meta.get_field("value").clean(rounded, None)
    return rounded


def next_run(metric: Metric, now: datetime) -> datetime:
    return now + timedelta(days=CADENCE_DAYS[Cadence(metric.cadence)])


def feed_run(feed_id: int, now: datetime | None = None) -> bool | None:
    """Fetch the feed's value and record it, if the feed is due and this call claims it.
    Returns whether a value was recorded; None when it was not this call's to run."""
    now = now or timezone.now()
    feed = (
        MetricFeed.objects.select_related("metric__mission__organisation")
        .filter(pk=feed_id)
        .first()
    )
    if feed is None:  # removed since it was enqueued
        return None
    # The claim: moving next_run_at on, from the value read, which one caller wins.
    claimed = MetricFeed.objects.filter(
        pk=feed_id, is_active=True, next_run_at=feed.next_run_at, next_run_at__lte=now
    ).update(next_run_at=next_run(feed.metric, now), claimed_at=now)
    if not claimed:
        return None
    metric = feed.metric
    try:
        value = _storable(feed_value(feed))
        metric.check_reading(value)
        checkin_record(
            metric,
            value=value,
            for_date=timezone.localdate(now, metric.mission.organisation.zone()),
            author=None,
            confidence=metric.latest_confidence or Confidence.ON_TRACK,
            note=f"Fetched by Waymark from {feed.url}",
        )
    except (FeedError, ValidationError, CheckInConflict) as error:
        _failed(feed, _message(error), now)
        return False
    MetricFeed.objects.filter(pk=feed.pk).update(
        last_run_at=now, last_value=value, last_error="", failure_told_at=None
    )
    return True


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _failed(feed: MetricFeed, error: str, now: datetime) -> None:
    """Keep the failure, try sooner than a cadence later, and tell the owner once."""
    MetricFeed.objects.filter(pk=feed.pk).update(
        last_run_at=now, last_error=error[:300], next_run_at=now + RETRY_AFTER
    )
    told = MetricFeed.objects.filter(pk=feed.pk, failure_told_at__isnull=True).update(
        failure_told_at=now
    )
    if told:
        feed.last_error = error
        feed_failure_email(feed)


def feed_failure_email(feed: MetricFeed) -> bool:
    """Tell the metric's owner (or whoever set the feed up) that its feed failed."""
    metric = feed.metric
    person = metric.owner or feed.created_by
    if person is None or not person.is_active:
        return False
    mission = metric.mission
    organisation = mission.organisation
    context = {
        "feed": feed,
        "metric": metric,
        "organisation": organisation,
        "feed_url": settings.SITE_URL
        + reverse("integrations:feed", args=[organisation.slug, mission.slug, metric.uid]),
    }
    message = EmailMultiAlternatives(
        subject=subject_line(organisation, f"{metric.name} could not update itself"),
        body=render_to_string("emails/feed_failed.txt", context),
        from_email=from_address(organisation),
        to=[person.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("emails/feed_failed.html", context), "text/html")
    try:
        message.send()
    except Exception:
        logger.exception("Telling %s that feed %s failed did not work", person.pk, feed.pk)
        return False
    return True


def feeds_due(now: datetime) -> list[int]:
    return list(
        MetricFeed.objects.filter(
            is_active=True, next_run_at__lte=now, metric__mission__archived_at__isnull=True
        )
        .order_by("next_run_at")
        .values_list("pk", flat=True)
    )
