"""One log line per request, with what someone searching the logs needs and nothing a
log must not hold.

The line names the URL pattern the request matched ("s/<str:token>/"), never the path
it asked for: paths carry share-link, invitation and reset tokens, and query strings may
too. The organisation and person are ids; the address is the client's as
core.client_addresses reads it, the same one the rate limits count.
"""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from core.client_addresses import client_address
from core.request_ids import HEADER, accepted, request_id_set

logger = logging.getLogger("waymark.requests")

ORGANISATION_ATTRIBUTE = "_log_organisation_id"
UNMATCHED = "<unmatched>"


def note_organisation(request: HttpRequest, organisation_id: int) -> None:
    """Say which organisation the request is about (the access helper calls this)."""
    request.__dict__[ORGANISATION_ATTRIBUTE] = organisation_id


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.route or match.view_name or UNMATCHED


def _user_id(request: HttpRequest) -> int | None:
    # Read only if authentication already looked the person up: a request refused before
    # that (a bad Host, a body too large) must not query for them here.
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestLogMiddleware:
    """Gives the request its id (echoed in X-Request-ID) and logs one line when it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted(request.headers.get(HEADER))
        started = time.perf_counter()
        with request_id_set(request_id):
            response = self.get_response(request)
            response[HEADER] = request_id
            self._log(request, response, request_id, started)
        return response

    def _log(
        self, request: HttpRequest, response: HttpResponse, request_id: str, started: float
    ) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        route = route_of(request)
        fields = {
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "request_id": request_id,
            "organisation_id": request.__dict__.get(ORGANISATION_ATTRIBUTE),
            "user_id": _user_id(request),
            "client": client_address(request),
        }
        logger.info(
            "%s %s %s %.1fms",
            request.method,
            route,
            response.status_code,
            duration_ms,
            extra=fields,
        )
