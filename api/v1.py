"""The API, version 1: its routes, its token authentication and its answers to errors.

Mounted at /api/v1/ (api/urls.py). The OpenAPI document is generated from the routes and
schemas; the documentation page (api/views/docs.py) is drawn from that document.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from api.access import Caller, caller_for
from api.models import Scope
from api.problems import TITLES, Problem, field_errors
from api.rates import rate_check
from api.routes import metrics, missions, organisations, reports

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Waymark's missions, goals, metrics, check-ins, reports, teams and alignment, for programs.

Send an API token as `Authorization: Bearer wmk_…`. Admins make tokens for the
organisation in its settings; anyone makes one for themselves on their account page.
A token acts as the person it belongs to, within its one organisation, never above
the role it was given, and only for its scopes: `read` for every GET, `check-in` to
record readings, `write` for changes.

A PATCH changes only the fields it sends, and carries the `version` of the row as you
last read it: if someone saved the row since, nothing is saved and the answer is 409
`version_conflict`.

Lists are ordered by when each item last changed and come a page at a time: pass
the `next` of one page as `cursor` for the next, and `updated_since` to fetch only
what changed. Errors are problem details (RFC 9457) with a `code`.
"""


class TokenAuth(HttpBearer):
    """An API token: who it acts as, counted against its rate limit, with GETs needing
    the `read` scope and PATCHes the `write` scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        caller = caller_for(token)
        rate_check(caller.token)
        if request.method in ("GET", "HEAD"):
            caller.require(Scope.READ)
        elif request.method == "PATCH":
            # Before the body is read: a token that may not write learns that first.
            caller.require(Scope.WRITE)
        # The changes this request makes are the token owner's (audit.actors).
        request.user = caller.token.owner
        # "Today" and "due" mean the organisation's day, as on its pages (orgs.access's
        # middleware activates it there, and turns it off after every request).
        timezone.activate(caller.organisation.zone())
        return caller


api = NinjaAPI(
    title="Waymark API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url=None,  # served by Waymark itself, without a CDN (api/views/docs.py)
    openapi_url="/openapi.json",
)
api.add_router("", organisations.router)
api.add_router("", missions.router)
api.add_router("", metrics.router)
api.add_router("", reports.router)


@api.exception_handler(Problem)
def problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return exc.response()


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return Problem(
        401,
        "not_authenticated",
        "Send an API token as “Authorization: Bearer wmk_…”.",
        headers={"WWW-Authenticate": 'Bearer realm="waymark"'},
    ).response()


@api.exception_handler(HttpError)
def bad_request(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """What ninja refuses before a route runs: above all a body that is not JSON."""
    status = exc.status_code if exc.status_code in TITLES else 400
    detail = (
        "The body could not be read: send a JSON object, with “Content-Type: application/json”."
        if status == 400
        else str(exc)
    )
    return Problem(status, "bad_request", detail).response()


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return Problem(404, "not_found", "There is nothing here that this token may see.").response()


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or "The token's owner may not do this."
    return Problem(403, "forbidden", detail).response()


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Pydantic's errors, each named by its field: `value`, `limit`, `updated_since`."""
    named: dict[str, list[str]] = {}
    for error in exc.errors:
        where = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "value") or ("query", "limit"): the field is what follows.
        field = ".".join(
            part for part in where if part not in ("body", "query", "path", "payload", "header")
        )
        named.setdefault(field or "body", []).append(str(error.get("msg", "Not valid.")))
    return field_errors(named).response()


@api.exception_handler(OperationalError)
def unavailable(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A lost connection, or a table another writer holds (SQLite): the transaction was
    rolled back, so the same request can simply be sent again."""
    logger.warning("API database error on %s: %s", request.path, exc)
    return Problem(
        503,
        "unavailable",
        "The database is busy for a moment and nothing was saved. Send the same request "
        "again in a second.",
        headers={"Retry-After": "1"},
    ).response()


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path, exc_info=exc)
    return Problem(500, "server_error", "Something went wrong on our side.").response()
