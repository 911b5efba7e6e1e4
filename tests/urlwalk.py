"""Every URL pattern of the site, found from the URL configuration.

Tests that must visit every page (the outsider walk, the form fuzz) take their list
from here, so a new page is walked without anyone remembering to add it.
"""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Pattern:
    name: str  # for reverse(), with its namespace
    route: str
    arguments: tuple[str, ...]

    @property
    def org_scoped(self) -> bool:
        return "<slug:org_slug>" in self.route


def url_patterns(skip_namespaces: tuple[str, ...] = ("admin",)) -> list[Pattern]:
    """Every named pattern, outside the skipped namespaces (the admin is Django's own)."""
    found = []

    def walk(patterns, namespace: str, route_prefix: str) -> None:
        for pattern in patterns:
            route = route_prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.namespace in skip_namespaces:
                    continue
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns, route)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"pattern {route!r} needs a name"
                arguments = tuple(
                    part.split(">")[0].split(":")[-1] for part in route.split("<")[1:]
                )
                found.append(Pattern(namespace + pattern.name, route, arguments))

    walk(get_resolver().url_patterns, "", "")
    return found


def org_scoped_patterns() -> list[tuple[str, list[str]]]:
    """(name for reverse, URL argument names) of every pattern that takes an org_slug."""
    return [(p.name, list(p.arguments)) for p in url_patterns() if p.org_scoped]
