"""Readable, unique addresses made from names: "Shops & cafés" becomes shops-cafes."""

from collections.abc import Collection
from typing import Any

from django.db.models import QuerySet
from django.utils.text import slugify


def unique_slug(
    taken: QuerySet[Any],
    text: str,
    *,
    fallback: str,
    max_length: int = 50,
    reserved: Collection[str] = (),
) -> str:
    """A slug for `text` that no row of `taken` has (adding -2, -3, ... when needed)."""
    base = slugify(text)[:max_length] or fallback
    slug, n = base, 1
    while slug in reserved or taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug
