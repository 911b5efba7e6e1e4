"""The API's addresses under /api/v1/: its routes, the OpenAPI document, the docs page."""

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.http import require_GET

from api.problems import Problem
from api.v1 import api
from api.views.docs import docs, not_found
from core.private_responses import PRIVATE


def _answered_as_problems(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A method the address does not take is a problem-details 405 too, and no answer
    about an organisation's data is kept by a cache."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405:
            allowed = response["Allow"]
            response = Problem(
                405,
                "method_not_allowed",
                f"This address takes {allowed}.",
                headers={"Allow": allowed},
            ).response()
        response["Cache-Control"] = PRIVATE
        return response

    return wrapped


def _view(pattern: URLPattern) -> Callable[..., HttpResponseBase]:
    if pattern.name == "api-root":
        # Kept for its name (ninja finds its own address by it): /api/v1/ itself is nothing.
        return not_found
    if pattern.name == "openapi-json":
        return _answered_as_problems(require_GET(pattern.callback))
    return _answered_as_problems(pattern.callback)


def _patterns() -> list[URLPattern | URLResolver]:
    found, _, _ = api.urls
    return [
        URLPattern(p.pattern, _view(p), p.default_args, p.name) if isinstance(p, URLPattern) else p
        for p in found
    ]


app_name = "api"

urlpatterns = [
    path("docs/", docs, name="docs"),
    *_patterns(),
    # Anything else under /api/v1/ is a problem-details 404, not the site's HTML page.
    path("<path:rest>", not_found, name="not_found"),
]
