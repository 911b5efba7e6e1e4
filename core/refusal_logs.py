"""Refused requests are logged as one line each, not a traceback."""

import logging


class OneLineRefusals(logging.Filter):
    """Drop the traceback from a refused request's log record (a 4xx from django.request).

    Django logs a PermissionDenied with the exception attached, so every 403 printed a
    full traceback: a refusal is the app working, and an attacker walking URLs would bury
    real errors under them. 5xx records keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
