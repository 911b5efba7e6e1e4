"""Markdown that people write (a report's narrative) turned into HTML safe to show anyone.

markdown-it-py parses CommonMark with raw HTML switched off, so typed tags come out as
text; nh3 then cleans the result against a short allowlist. Either would stop most
attacks alone; both are here because a report is shown to people outside the
organisation, on pages and in PDFs, and the sanitiser is the one that is audited.
"""

from typing import Any

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "a",
        "blockquote",
        "code",
        "pre",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Links leave for sites we do not vouch for: no window.opener, no Referer (a share
# page's token is in its URL), and no search-engine credit.
LINK_REL = "noopener noreferrer nofollow"

_parser = MarkdownIt("commonmark", {"html": False}).enable("table")

# A relative link would point into Waymark from a stakeholder's page or a PDF, where it
# means nothing (or needs a login): only absolute http(s) and mailto links are kept.
_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    url_relative="deny",
    strip_comments=True,
)


def _adapt(tokens: list[Token]) -> None:
    """Headings one level down: # is a section of the report (h2), under the report's own
    title (h1), and nothing deeper than h4. Images become their alt text: a report loads
    nothing from elsewhere (the PDF renderer would fetch it; a reader's browser would
    tell a stranger it was opened)."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1])
            token.tag = f"h{min(level + 1, 4)}"
        for child in token.children or ():
            if child.type == "image":
                child.type, child.tag, child.attrs, child.children = "text", "", {}, None


def render_markdown(text: str) -> SafeString:
    """Sanitised HTML for `text`, ready to place in a template without escaping."""
    if not text.strip():
        return mark_safe("")
    env: dict[str, Any] = {}
    tokens = _parser.parse(text, env)
    _adapt(tokens)
    html = _parser.renderer.render(tokens, _parser.options, env)
    return mark_safe(_cleaner.clean(html))  # noqa: S308 - cleaned against the allowlist above
