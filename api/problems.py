"""Errors as RFC 9457 problem details: a JSON body a program can act on and a person can read.

Every refusal the API gives (401, 403, 404, 405, 422, 429, and a 500) is one of these,
with a stable `code` beside the standard members. `type` points at the code's entry in
the API's documentation page.
"""

import json
from typing import Any

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"
DOCS = "/api/v1/docs/"

# The codes the API answers with, and what each means: the documentation lists them.
CODES = {
    "not_authenticated": "No API token was sent, or it is not one Waymark issued.",
    "token_revoked": "The token was revoked; make a new one.",
    "token_expired": "The token has expired; make a new one.",
    "owner_left": "The token's owner is no longer in the organisation.",
    "two_factor_required": "The organisation asks the token's owner to use two-factor "
    "authentication first.",
    "insufficient_scope": "The token lacks the scope this request needs.",
    "forbidden": "The token's owner may not do this (their role, or who owns the object).",
    "not_found": "Nothing here, or nothing this token may see.",
    "method_not_allowed": "The address does not take this method.",
    "bad_request": "The body is not JSON, or not a JSON object.",
    "validation_failed": "Part of the request is not valid; `errors` names each field.",
    "invalid_cursor": "The cursor is not one this API gave out.",
    "idempotency_key_reused": "The Idempotency-Key was used for a different request.",
    "version_conflict": "Someone saved the row after the `version` you sent; nothing was "
    "saved. Read it again and send your change with its new version.",
    "conflict": "Someone changed the same thing at the same moment; nothing was saved.",
    "rate_limited": "Too many requests with this token; wait for Retry-After seconds.",
    "unavailable": "The database is busy or unreachable for a moment; nothing was saved. "
    "Send the same request again (with its Idempotency-Key) after Retry-After seconds.",
    "server_error": "Something went wrong on our side; nothing was saved.",
}

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """Raised anywhere in the API; answered as a problem-details response."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        assert code in CODES, code
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"{DOCS}#error-{self.code}",
            "title": TITLES[self.status],
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body

    def response(self) -> HttpResponse:
        response = HttpResponse(
            json.dumps(self.body()), status=self.status, content_type=CONTENT_TYPE
        )
        for name, value in self.headers.items():
            response[name] = value
        return response


def unauthenticated(code: str, detail: str) -> Problem:
    return Problem(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="waymark"'})


def field_errors(errors: dict[str, list[str]]) -> Problem:
    """A 422 naming each field that is wrong, with what to do about it."""
    listed = [
        {"field": field, "message": message}
        for field, messages in errors.items()
        for message in messages
    ]
    names = ", ".join(dict.fromkeys(item["field"] for item in listed))
    return Problem(422, "validation_failed", f"Check these fields: {names}.", errors=listed)
