"""Messages from an htmx request shown on the page where it happened.

A view that answers htmx with a fragment (a goal added, its section redrawn) still says
what it did through Django's messages; without this, the message waited in the session
and greeted the person on the next page they opened, about something long done.
"""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponseBase
from django.template.loader import render_to_string

# Responses htmx does not swap in, whose messages stay for the page that follows.
NOT_SWAPPED = ("HX-Redirect", "HX-Location", "HX-Refresh")


class HtmxMessagesMiddleware:
    """Append the request's messages to an htmx fragment as an out-of-band swap into the
    page's message region (#messages, a live region, so they are announced too). Placed
    after MessageMiddleware, so the messages it shows are marked used before they are
    stored again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and not response.streaming
            and 200 <= response.status_code < 300
            and response.get("Content-Type", "").startswith("text/html")
            and not any(response.has_header(header) for header in NOT_SWAPPED)
        ):
            said = list(messages.get_messages(request))
            if said:
                region = render_to_string(
                    "includes/messages.html", {"messages": said, "oob": True}, request
                )
                response.content += region.encode()  # type: ignore[attr-defined]
        return response
