"""The Celery app: Redis from REDIS_URL, or tasks run in process when it is unset."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("waymark")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each worker stamps a heartbeat in Redis that /readyz and its healthcheck read.
from core.heartbeats import WorkerHeartbeat  # noqa: E402  (after the settings module is named)

app.steps["worker"].add(WorkerHeartbeat)
