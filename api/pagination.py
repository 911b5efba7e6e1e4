"""Keyset pagination: lists in (updated_at, tie-breaker) order, a page at a time.

A cursor names the last row a page held, signed so a client cannot forge one, and the
next page starts after it: rows added or changed meanwhile move to the end instead of
shifting every later page (as an offset would), so a client syncing with
`updated_since` and following `next` sees every change once.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

from api.problems import Problem

SALT = "waymark.api.cursor"
DEFAULT_LIMIT = 50
MOST = 200


@dataclass(frozen=True)
class Order:
    """The two fields a list is ordered by: a time, then something unique to break ties."""

    time: str
    tie: str


def _invalid_cursor() -> Problem:
    return Problem(
        400,
        "invalid_cursor",
        "That cursor is not one this list gave out. Start again without it.",
        errors=[{"field": "cursor", "message": "Not a cursor this list gave out."}],
    )


def _decode(cursor: str, order: Order) -> tuple[datetime, str]:
    try:
        field, moment, tie = signing.loads(cursor, salt=SALT)
        when = parse_datetime(moment)
    except (signing.BadSignature, ValueError, TypeError):
        raise _invalid_cursor() from None
    if field != order.time or when is None:
        raise _invalid_cursor()
    return when, tie


def page[M: Model](
    rows: QuerySet[M],
    order: Order,
    *,
    cursor: str | None,
    limit: int,
    updated_since: datetime | None,
) -> tuple[list[M], str | None]:
    """One page of `rows` and the cursor of the next (None on the last page)."""
    if updated_since is not None:
        rows = rows.filter(**{f"{order.time}__gte": updated_since})
    if cursor:
        when, tie = _decode(cursor, order)
        rows = rows.filter(
            Q(**{f"{order.time}__gt": when}) | Q(**{order.time: when, f"{order.tie}__gt": tie})
        )
    found = list(rows.order_by(order.time, order.tie)[: limit + 1])
    if len(found) <= limit:
        return found, None
    found = found[:limit]
    last: Any = found[-1]
    moment = getattr(last, order.time).isoformat()
    tie_value = str(getattr(last, order.tie))
    return found, signing.dumps([order.time, moment, tie_value], salt=SALT)
