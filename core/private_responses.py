"""Responses to a signed-in person are theirs alone: no shared cache or browser keeps them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

PRIVATE = "private, no-store"


class PrivateResponsesMiddleware:
    """Mark every response to a signed-in person `Cache-Control: private, no-store`: the
    pages, CSV exports and PDFs hold an organisation's data, and a proxy or the browser's
    disk must not keep them for the next person.

    A response that says how it may be cached already keeps what it says: the public
    badges and pages, and images drawn from a frozen report (which are private anyway).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Asked in this order: who is signed in is looked up (and the response made to
        # vary on the session cookie) only for a response that has no caching of its own.
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = PRIVATE
        return response
