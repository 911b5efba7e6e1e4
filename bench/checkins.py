"""Check in on the scale organisation's metrics at a steady rate while `make bench` measures
its pages, as a busy organisation's staff would.

Each check-in goes through metrics.services.checkin_record, like one from the page, so it
invalidates the organisation's cached page parts: the next visit to each page renders it
afresh. Runs until it is stopped. The interval, in seconds, is the first argument.
"""

import itertools
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402 -- after django.setup()

from metrics.models import Confidence, Metric  # noqa: E402
from metrics.services import checkin_record  # noqa: E402


def main(interval: float) -> None:
    metrics = list(
        Metric.objects.filter(mission__organisation__slug="scale-1", owner__isnull=False)
        .select_related("mission__organisation", "owner")
        .order_by("pk")[:100]
    )
    for n in itertools.count():
        metric = metrics[n % len(metrics)]
        started = time.monotonic()
        checkin_record(
            metric,
            value=(metric.latest_value or Decimal(0)) + n % 3,
            for_date=timezone.localdate(),
            author=metric.owner,  # type: ignore[arg-type]  # only metrics with an owner
            confidence=Confidence.ON_TRACK,
        )
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


if __name__ == "__main__":
    main(float(sys.argv[1]))
