"""Requests per token per minute, counted in the shared cache (Redis in production)."""

import time

from django.conf import settings
from django.core.cache import cache

from api.models import ApiToken
from api.problems import Problem

WINDOW_SECONDS = 60


def rate_check(token: ApiToken) -> None:
    """Count this request against the token's minute; past the limit, a 429 that says
    when to come back. With the cache unreachable nothing is counted: the API keeps
    answering rather than refusing everyone."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 1)
    try:
        count = cache.incr(key)
    except ValueError:
        return
    limit = settings.API_RATE_PER_MINUTE
    if count > limit:
        wait = int((window + 1) * WINDOW_SECONDS - now) + 1
        raise Problem(
            429,
            "rate_limited",
            f"This token has made {limit} requests this minute, the most it may. "
            f"Try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
