"""Error pages that need no database: they are what is left when it is gone."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

# How soon a browser or a load balancer may try again after the database went away.
RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 when the database could not be reached (it is restarting, a connection
    was cut): a brief outage says "try again in a moment", and the connection is replaced
    on the next request. Rendered without a request context, which would query."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
