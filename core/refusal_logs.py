"""Django's own lines about refused and failed requests: one line for a refusal, and the
URL pattern instead of the path."""

import logging

from core.request_log import route_of


class OneLineRefusals(logging.Filter):
    """Drop the traceback from a refused request's log record (a 4xx from django.request),
    and name the route the request matched instead of its path.

    Django logs a PermissionDenied with the exception attached, so every 403 printed a
    full traceback: a refusal is the app working, and an attacker walking URLs would bury
    real errors under them. 5xx records keep theirs. Paths carry share-link, invitation
    and reset tokens, which a log must not hold (core.request_log).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path and isinstance(record.args, tuple) and path in record.args:
            route = route_of(request)  # type: ignore[arg-type]
            record.args = tuple(route if arg == path else arg for arg in record.args)
        return True
