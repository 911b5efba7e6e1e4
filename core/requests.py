"""The request a view that answers htmx receives: Django's, with django-htmx's details
(HtmxMiddleware sets `request.htmx` on every request)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails
