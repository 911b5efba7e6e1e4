"""Three-way merges: an edit that meets someone else's newer save keeps every change
nobody disputed, and names the fields both people changed.

The values a person started from travel with their form, signed, so that a save can
tell what they changed from what they merely left as it was.
"""

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core import signing

SALT = "waymark.merge.base"


@dataclass(frozen=True)
class Merge:
    """What to save after merging an edit with a newer save, field by field."""

    values: dict[str, Any]
    # The fields whose stored change was kept: they changed them, you left them alone.
    theirs: tuple[str, ...]
    # The fields you both changed, to different values: you have the last word.
    conflicts: tuple[str, ...]


def same(a: Any, b: Any) -> bool:
    """Whether two values of a field are the same to the person reading them: an empty
    value is empty however it came, and a browser sends a textarea's lines with CRLF."""
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
    return bool(a == b)


def three_way(
    base: Mapping[str, Any], theirs: Mapping[str, Any], yours: Mapping[str, Any]
) -> Merge:
    """Merge `yours` (an edit of `base`) with `theirs` (what was saved since `base`).

    A field you left as it was takes the stored value; a field only you changed takes
    yours; a field you both changed to different values is a conflict, and keeps yours
    for you to decide. A field missing from `base` counts as changed by both.
    """
    values: dict[str, Any] = {}
    kept: list[str] = []
    conflicts: list[str] = []
    for name, mine in yours.items():
        stored = theirs.get(name)
        if name in base and same(mine, base[name]):
            values[name] = stored
            if not same(stored, base[name]):
                kept.append(name)
            continue
        values[name] = mine
        unchanged_by_them = name in base and same(stored, base[name])
        if not unchanged_by_them and not same(stored, mine):
            conflicts.append(name)
    return Merge(values, tuple(kept), tuple(conflicts))


# ---- The values a form started from, signed into the form --------------------------------
# Signed, so a post cannot pass off someone else's change as the value it started from and
# so have it overwritten without being shown; bound to the row and its version, so a token
# is only read for the edit it was made for.


def sign_base(values: Mapping[str, Any], *, about: str) -> str:
    """A token carrying `values` for the edit `about` names (the row and its version)."""
    encoded = {name: _encode(value) for name, value in values.items()}
    return signing.dumps(encoded, salt=f"{SALT}:{about}", compress=True)


def read_base(token: str, *, about: str) -> dict[str, Any] | None:
    """The values in a token made by `sign_base` for `about`; None for anything else."""
    try:
        encoded = signing.loads(token, salt=f"{SALT}:{about}")
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(encoded, dict):
        return None
    return {str(name): _decode(value) for name, value in encoded.items()}


# JSON carries strings, numbers, booleans and None; the other types form fields hold are
# tagged, so a decimal or a date comes back as one and compares equal to the stored value.
TYPES: dict[str, tuple[type, Any]] = {
    "decimal": (Decimal, Decimal),
    "datetime": (datetime.datetime, datetime.datetime.fromisoformat),
    "date": (datetime.date, datetime.date.fromisoformat),
    "uuid": (uuid.UUID, uuid.UUID),
}


def _encode(value: Any) -> Any:
    for tag, (kind, _) in TYPES.items():  # datetime before date: a datetime is a date
        if isinstance(value, kind):
            return {tag: value.isoformat() if isinstance(value, datetime.date) else str(value)}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag in TYPES and isinstance(text, str):
            return TYPES[tag][1](text)
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value
