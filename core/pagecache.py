"""The page cache: rendered pages and page parts, kept until what they show changes.

Every cached page of an organisation is stored with that organisation's version number.
Anything that changes what its pages show bumps the number (reporting/signals.py), so a
stale page is never served again: it is rendered afresh and replaced. The version lives
in the cache itself, so every web process sees the same one.

Parts about one mission (the mission page, a dashboard card) are keyed on that mission's
own number instead, and on the organisation's "wide" number, which only changes with
what every mission shows (people's names, teams, the organisation): a check-in on one
mission leaves the others' parts cached.
"""

import logging
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)


class Tenant(Protocol):
    """What the cache needs of an organisation."""

    @property
    def pk(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...


# Any lifetime longer than a page's will do: a version that expires is replaced by a fresh
# random one, with which no page was ever stored.
VERSION_TIMEOUT = max(24 * 60 * 60, 2 * settings.PAGE_CACHE_SECONDS)


def _version_key(organisation_id: int) -> str:
    return f"share:version:{organisation_id}"


def _wide_version_key(organisation_id: int) -> str:
    return f"share:version:{organisation_id}:wide"


def _mission_version_key(mission_id: int) -> str:
    return f"share:version:mission:{mission_id}"


def _fresh_version() -> int:
    # A random start, not 1: if the version is evicted, counting again from 1 would find
    # the pages cached under the old numbers.
    return secrets.randbits(48)


def _versions(keys: list[str]) -> list[int]:
    """The numbers under `keys`, starting any that are missing, in one round trip when
    all are there."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, _fresh_version(), VERSION_TIMEOUT)
            found[key] = cache.get(key)
    # Still none: the cache is unreachable (config.cache). A number no page is stored
    # under, so the page is rendered.
    return [_fresh_version() if found[key] is None else int(found[key]) for key in keys]


def version_of(organisation_id: int) -> int:
    return _versions([_version_key(organisation_id)])[0]


def pages_changed(
    organisation_id: int, mission_id: int | None = None, *, wide: bool = False
) -> None:
    """Invalidate every cached page of the organisation: its share pages, public page,
    badges and dashboard; and the parts about `mission_id`, or with `wide` (a change every
    mission's parts show) about all its missions."""
    keys = [_version_key(organisation_id)]
    if mission_id is not None:
        keys.append(_mission_version_key(mission_id))
    if wide:
        keys.append(_wide_version_key(organisation_id))
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # no version yet, or evicted: any new number will do
            cache.add(key, _fresh_version(), VERSION_TIMEOUT)
        except Exception:
            # A cache outage must not fail the check-in that triggered this; pages expire
            # within settings.PAGE_CACHE_SECONDS anyway.
            logger.exception("Could not invalidate the cached pages under %s", key)


def cached_page(organisation: Tenant, today: date, what: str, render: Callable[[], str]) -> str:
    """`render()`, or what it returned earlier for this organisation's current version.

    `today` is in the key because progress is judged against the day: the expected
    progress moves on at midnight even when nothing is recorded. So is the moment the
    organisation was created: ids start again when a database is recreated (a test run,
    a fresh development database) while the cache may live on, and another
    organisation's page must never be found under a reused id.

    The page is stored with the version it was rendered under, not under a key naming
    it, so the version and the page come back in one round trip to the cache.
    """
    if not settings.PAGE_CACHE_SECONDS:
        return render()
    version_key = _version_key(organisation.pk)
    page_key = f"share:page:{_stamp(organisation)}:{today}:{what}"
    try:
        found = cache.get_many([version_key, page_key])
        version = found.get(version_key)
        if version is None:
            version = version_of(organisation.pk)
    except Exception:
        logger.exception("The share page cache is unavailable; rendering without it")
        return render()
    stored = found.get(page_key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == version:
        return str(stored[1])
    # Rendered after the version was read: a change in between bumps the version, and the
    # next request renders again rather than trust this page.
    page = render()
    try:
        cache.set(page_key, (version, page), settings.PAGE_CACHE_SECONDS)
    except Exception:
        logger.exception("Could not store a page in the cache")
    return page


def _stamp(organisation: Tenant) -> str:
    return f"{organisation.pk}:{int(organisation.created_at.timestamp() * 1_000_000)}"


def cached_mission_parts(
    organisation: Tenant,
    mission_ids: list[int],
    today: date,
    what: str,
    render: Callable[[list[int]], dict[int, str]],
) -> dict[int, str]:
    """The part `what` of each mission: from the cache, or `render(missing_ids)` for those
    changed since. Stored with the versions they were rendered under, like cached_page's
    pages, so the versions and the parts come back in one round trip."""
    if not settings.PAGE_CACHE_SECONDS:
        return render(mission_ids)
    version_keys = [_wide_version_key(organisation.pk), *map(_mission_version_key, mission_ids)]
    prefix = f"share:part:{_stamp(organisation)}:{today}:{what}"
    keys = {mission_id: f"{prefix}:{mission_id}" for mission_id in mission_ids}
    try:
        found = cache.get_many([*version_keys, *keys.values()])
        if all(key in found for key in version_keys):
            wide, *versions = (found[key] for key in version_keys)
        else:
            wide, *versions = _versions(version_keys)
    except Exception:
        logger.exception("The page cache is unavailable; rendering without it")
        return render(mission_ids)
    current = {m: (wide, version) for m, version in zip(mission_ids, versions, strict=True)}
    parts = {}
    for m, key in keys.items():
        stored = found.get(key)
        if isinstance(stored, tuple) and len(stored) == 3 and stored[:2] == current[m]:
            parts[m] = str(stored[2])
    missing = [m for m in mission_ids if m not in parts]
    # Rendered after the versions were read: see cached_page.
    rendered = render(missing) if missing else {}
    try:
        cache.set_many(
            {keys[m]: (*current[m], part) for m, part in rendered.items()},
            settings.PAGE_CACHE_SECONDS,
        )
    except Exception:
        logger.exception("Could not store page parts in the cache")
    return {m: parts[m] if m in parts else rendered[m] for m in mission_ids}


# A cached page part is shared by everyone with the same view of it, so its forms carry
# this instead of one reader's CSRF token, and `with_csrf_token` puts each reader's own in.
# Derived from the secret key: nobody can type it into a title to have it replaced.
CSRF_STAND_IN = salted_hmac("reporting.sharing.csrf", "stand-in", algorithm="sha256").hexdigest()


def with_csrf_token(request: HttpRequest, part: str) -> SafeString:
    """A page part rendered with `{"csrf_token": CSRF_STAND_IN}`, for this request."""
    return mark_safe(part.replace(CSRF_STAND_IN, get_token(request)))  # noqa: S308 -- our own template's output


def cached(key: str, render: Callable[[], str]) -> str:
    """`render()`, or what it returned earlier under `key`; a cache outage only costs the
    rendering."""
    if not settings.PAGE_CACHE_SECONDS:
        return render()
    try:
        page = cache.get(key)
    except Exception:
        logger.exception("The page cache is unavailable; rendering without it")
        return render()
    if page is None:
        page = render()
        try:
            cache.set(key, page, settings.PAGE_CACHE_SECONDS)
        except Exception:
            logger.exception("Could not store a page in the cache")
    return str(page)
