"""A week of beat's sweeps for `make scale`: the moments, and the emails one process sends
for them, which is what two workers and two beats must send: no more, no fewer.

Run as a script against a copy of the scale run's database (DATABASE_URL, no REDIS_URL, so
every task runs in this process), it replays the week from START (ISO 8601) one sweep at
a time into Django's in-memory outbox, and prints a JSON object: the Message-ID of every
email sent (core.deliveries.message_id: the same claims give the same id in any database)
and how many emails of each kind were recorded sent.
"""

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

DAYS = 7
# Beat sweeps every 15 minutes. Reminders and digests fall due at a whole hour of each
# person's day and a sweep later that day sends them, so a sweep every two hours sends the
# same emails in fewer sweeps (each task a sweep enqueues is dearer than the sweep).
STEP = timedelta(hours=2)


def moments(start: datetime) -> list[list[datetime]]:
    """Each day of the week from `start`, as the sweep moments in it."""
    per_day = timedelta(days=1) // STEP
    return [
        [start + day * timedelta(days=1) + n * STEP for n in range(per_day)] for day in range(DAYS)
    ]


def main(start: datetime) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core import mail
    from django.db.models import Count
    from django.test.utils import override_settings

    from core.deliveries import DeliveryState
    from orgs.models import EmailDelivery
    from reporting.tasks import sweep_digests, sweep_reminders

    with override_settings(
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    ):
        mail.outbox = []
        for day in moments(start):
            for at in day:
                sweep_reminders(at=at.isoformat())
                sweep_digests(at=at.isoformat())
        ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    kinds = dict(
        EmailDelivery.objects.filter(state=DeliveryState.SENT)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    print(json.dumps({"message_ids": ids, "kinds": kinds}))


if __name__ == "__main__":
    main(datetime.fromisoformat(sys.argv[1]))
