"""The status a refused form is answered with."""

from django.http import HttpRequest


def refused_status(request: HttpRequest) -> int:
    """400 for a refused form post; 422 when htmx asked, so the fragment is still shown.

    base.html tells htmx to swap 422 responses in (it leaves other 4xx alone), and
    django-htmx's debug script, which replaces the page on a 400, ignores 422.
    """
    return 422 if getattr(request, "htmx", False) else 400
