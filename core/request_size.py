"""A bound on request bodies, refused from their declared length before any is read."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve

TOO_LARGE = (
    "This request is larger than Waymark accepts ({limit:,} bytes at most), so none of it "
    "was read. If you were uploading a file, split it into smaller ones."
)


class RequestSizeMiddleware:
    """Answer 413 to a request whose Content-Length is over the limit, before anything
    (CSRF's check, a form, the multipart parser) reads its body.

    The limit is REQUEST_MAX_BYTES, and UPLOAD_REQUEST_MAX_BYTES for the views named in
    UPLOAD_VIEWS (the CSV import). A body sent without a length is not read at all by
    Django's request, so the declared length is all there is to check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django's request reads a malformed length as none, too
        if length > settings.REQUEST_MAX_BYTES:
            limit = (
                settings.UPLOAD_REQUEST_MAX_BYTES
                if _view_name(request) in settings.UPLOAD_VIEWS
                else settings.REQUEST_MAX_BYTES
            )
            if length > limit:
                # (The server closes the connection on an unread body: WSGI leaves
                # hop-by-hop headers such as Connection to it.)
                response = HttpResponse(
                    TOO_LARGE.format(limit=limit),
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
                # Its own length, so the client knows it has it all without waiting for
                # the connection to close.
                response["Content-Length"] = str(len(response.content))
                return response
        return self.get_response(request)


def _view_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""
