"""The status a refused form is answered with."""

from django.forms import BaseForm
from django.http import HttpRequest


def refused_status(request: HttpRequest) -> int:
    """400 for a refused form post; 422 when htmx asked, so the fragment is still shown.

    base.html tells htmx to swap 422 responses in (it leaves other 4xx alone), and
    django-htmx's debug script, which replaces the page on a 400, ignores 422.
    """
    return 422 if getattr(request, "htmx", False) else 400


def conflict_status(request: HttpRequest) -> int:
    """409 for an edit refused because someone else saved first; 422 when htmx asked.

    Not 200: the save did not happen, and a client or a test reading only the status
    must not take it for one. Not 400: nothing in the post was wrong, it was overtaken.
    """
    return 422 if getattr(request, "htmx", False) else 409


def form_status(request: HttpRequest, form: BaseForm) -> int:
    """200 for a form shown afresh, else the status of its refusal (see above)."""
    if not form.errors:
        return 200
    if getattr(form, "conflict", False):
        return conflict_status(request)
    return refused_status(request)
