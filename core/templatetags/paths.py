"""`{% path_for 'metrics:detail' org.slug mission.slug metric.uid %}`: the `{% url %}` of a
page whose arguments are slugs and ids.

A page of rows builds dozens of links that differ only in their slugs and ids, and
Django's reverse() walks the URL patterns again for each. This reverses each pattern
once, with stand-in arguments, and fills the real ones in. Arguments that are not plain
slugs or UUIDs, which reverse() would have to quote or check, go through reverse() itself.
"""

import functools
import re
import uuid
from typing import Any

from django import template
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

register = template.Library()

PLAIN = re.compile(r"[-a-zA-Z0-9_]+")
# A UUID written out, as a cached page part keeps one: it meets a <uuid:> converter.
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _stand_in(position: int, is_uuid: bool) -> str:
    # Each stand-in fits the converter its argument will meet (a UUID, or a slug) and
    # cannot occur anywhere else in a path.
    return str(uuid.UUID(int=position + 1)) if is_uuid else f"__stand-in-{position}__"


@functools.lru_cache(maxsize=512)
def _shape(
    viewname: str, kinds: tuple[bool, ...], prefix: str, urlconf: Any
) -> tuple[str, tuple[str, ...]]:
    """The path with stand-ins for its arguments, and the stand-ins."""
    stand_ins = tuple(_stand_in(i, is_uuid) for i, is_uuid in enumerate(kinds))
    return reverse(viewname, args=stand_ins, urlconf=urlconf), stand_ins


@register.simple_tag
def path_for(viewname: str, *args: Any) -> str:
    texts = [str(argument) for argument in args]
    if not all(PLAIN.fullmatch(text) for text in texts):
        return reverse(viewname, args=args)
    # A UUID's stand-in is also a valid slug: a slug that happens to look like one is
    # reversed the same way.
    kinds = tuple(
        isinstance(argument, uuid.UUID) or UUID_TEXT.fullmatch(text) is not None
        for argument, text in zip(args, texts, strict=True)
    )
    try:
        path, stand_ins = _shape(viewname, kinds, get_script_prefix(), get_urlconf())
    except NoReverseMatch:  # e.g. an id given as text: reverse() decides
        return reverse(viewname, args=args)
    for stand_in, text in zip(stand_ins, texts, strict=True):
        path = path.replace(stand_in, text)
    return path
