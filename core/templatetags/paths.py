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


def _stand_in(position: int, argument: Any) -> str:
    # Each stand-in fits the converter its argument will meet (a UUID, or a slug) and
    # cannot occur anywhere else in a path.
    if isinstance(argument, uuid.UUID):
        return str(uuid.UUID(int=position + 1))
    return f"__stand-in-{position}__"


@functools.lru_cache(maxsize=512)
def _shape(viewname: str, kinds: tuple[bool, ...], prefix: str, urlconf: Any) -> str:
    stand_ins = [
        _stand_in(i, uuid.UUID(int=0) if is_uuid else "") for i, is_uuid in enumerate(kinds)
    ]
    return reverse(viewname, args=stand_ins, urlconf=urlconf)


@register.simple_tag
def path_for(viewname: str, *args: Any) -> str:
    texts = [str(argument) for argument in args]
    if not all(PLAIN.fullmatch(text) for text in texts):
        return reverse(viewname, args=args)
    kinds = tuple(isinstance(argument, uuid.UUID) for argument in args)
    try:
        path = _shape(viewname, kinds, get_script_prefix(), get_urlconf())
    except NoReverseMatch:  # e.g. an id given as text: reverse() decides
        return reverse(viewname, args=args)
    for i, (argument, text) in enumerate(zip(args, texts, strict=True)):
        path = path.replace(_stand_in(i, argument), text)
    return path
