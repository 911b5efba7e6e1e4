"""Reading a page's forms, and scanning a page for markup that a visitor's text put there.

Both parse with the standard library's html.parser, as a browser would tokenise the page.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

from tests.security.xss_corpus import MARKER

TEXT_TYPES = {"text", "search", "tel", "url", "email", "password", "textarea"}


@dataclass
class Field:
    name: str
    kind: str  # an input type, or textarea, select, submit
    value: str = ""  # what the page holds or has selected
    options: list[str] = field(default_factory=list)  # selects, radios, checkboxes, buttons
    multiple: bool = False
    required: bool = False
    maxlength: int | None = None
    inputmode: str = ""

    @property
    def is_number(self) -> bool:
        """A number box: a text input with the number keyboard (core.numbers.NumberField)."""
        return self.kind == "number" or self.inputmode in ("decimal", "numeric")

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_TYPES and not self.is_number


@dataclass
class Form:
    page: str
    action: str
    fields: dict[str, Field]

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.action, tuple(sorted(self.fields))


class FormParser(HTMLParser):
    """The <form method=post> elements of a page, with their fields."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Field | None = None
        self.textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.form = Form(self.page, urljoin(self.page, a.get("action") or self.page), {})
            return
        if self.form is None or ("name" not in a and tag != "option"):
            if tag == "option" and self.select is not None:
                self._option(a)
            return
        fields, name = self.form.fields, a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                group = fields.setdefault(name, Field(name, kind))
                group.options.append(a.get("value", "on"))
                group.multiple = group.multiple or (kind == "checkbox" and len(group.options) > 1)
                if "checked" in a:
                    group.value = a.get("value", "on")
            elif kind in ("submit", "image", "reset", "button"):
                if kind == "submit" and name:
                    fields.setdefault(name, Field(name, "submit")).options.append(
                        a.get("value", "")
                    )
            else:
                fields[name] = Field(
                    name,
                    kind,
                    a.get("value", ""),
                    required="required" in a,
                    maxlength=_limit(a),
                    inputmode=a.get("inputmode", ""),
                )
        elif tag == "button" and a.get("type", "submit") == "submit" and name:
            fields.setdefault(name, Field(name, "submit")).options.append(a.get("value", ""))
        elif tag == "textarea":
            self.textarea = fields[name] = Field(
                name, "textarea", required="required" in a, maxlength=_limit(a)
            )
        elif tag == "select":
            self.select = fields[name] = Field(
                name, "select", multiple="multiple" in a, required="required" in a
            )
        elif tag == "option" and self.select is not None:
            self._option(a)

    def _option(self, a: dict[str, str]) -> None:
        assert self.select is not None
        self.select.options.append(a.get("value", ""))
        if "selected" in a:
            self.select.value = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def _limit(attrs: dict[str, str]) -> int | None:
    return int(attrs["maxlength"]) if attrs.get("maxlength", "").isdigit() else None


def post_forms(page: str, html: str) -> list[Form]:
    parser = FormParser(page)
    parser.feed(html)
    return parser.forms


# Attributes whose value a browser follows or runs.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data:text/html|data:image/svg)", re.IGNORECASE)
# Never in our pages at all; in a page only if someone's text made them.
FOREIGN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}
# A visitor's text may show up inside these values (as escaped text), never inside others.
RUNNING_ATTRIBUTES = ("on", "hx-", "data-hx-")


class PageScan(HTMLParser):
    """Markup that runs script, loads a page or makes htmx requests, and was not ours."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def problem(self, what: str) -> None:
        self.problems.append(f"{what}: {(self.get_starttag_text() or '')[:200]!r}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if MARKER in tag:
            self.problem(f"an injected <{tag}> element")
        named = {name: value or "" for name, value in attrs}
        # Ours: the digest preview frames the email's HTML from our own address, sandboxed.
        framed_by_us = tag == "iframe" and "sandbox" in named and named.get("src", "")[:1] == "/"
        if tag in FOREIGN_TAGS and not framed_by_us:
            self.problem(f"a <{tag}>")
        if tag == "script":
            self.in_script = True
            # A JSON data block never runs (django-allauth's passkey pages hand their
            # settings to its static script this way); visitor text inside it is still
            # caught below.
            data_block = named.get("type") == "application/json"
            ours = "nonce" in named or named.get("src", "").startswith("/static/")
            if not ours and not data_block:
                self.problem("a script without our nonce or a static source")
        if tag == "meta" and "http-equiv" in named and "refresh" in named["http-equiv"].lower():
            self.problem("a meta refresh")
        for name, value in named.items():
            if MARKER in name:
                self.problem(f"an injected attribute {name}")
            if name.startswith("on"):
                self.problem(f"an event handler {name}")
            if name.startswith(RUNNING_ATTRIBUTES) and MARKER in value:
                self.problem(f"visitor text in {name}")
            if name in ("style", "srcdoc", "http-equiv") and MARKER in value:
                self.problem(f"visitor text in {name}")
            # Browsers ignore whitespace and control characters inside a scheme.
            squeezed = "".join(c for c in value if ord(c) > 0x20)
            if name in URL_ATTRIBUTES and BAD_SCHEME.match(squeezed):
                self.problem(f"a script URL in {name}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and MARKER in data:
            self.problems.append(f"visitor text inside a script: {data[:200]!r}")


def scan_page(html: str) -> list[str]:
    scan = PageScan()
    scan.feed(html)
    scan.close()
    return scan.problems
