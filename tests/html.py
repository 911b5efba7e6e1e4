"""A page read as its reader reads it: elements found by tag, class and attributes, and
their text with the whitespace collapsed as a browser shows it.

    page = parse(response.text)
    card = page.one("li", cls="dash-mission")
    assert card.one("h3").text == "Net zero"
    assert card.one("a")["href"] == "/o/acme/missions/net-zero/"
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list["Node | str"] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        """The text inside, as a browser shows it: whitespace collapsed, ends trimmed
        (a no-break space is not whitespace here: it stays)."""
        return _collapsed(self._raw_text(spoken=False))

    @property
    def spoken(self) -> str:
        """The text a screen reader reads: what is hidden from it (aria-hidden) left out."""
        return _collapsed(self._raw_text(spoken=True))

    def _raw_text(self, spoken: bool) -> str:
        if spoken and self.attrs.get("aria-hidden") == "true":
            return ""
        return "".join(c if isinstance(c, str) else c._raw_text(spoken) for c in self.children)

    def all(self, tag: str, cls: str | None = None, **attrs: str) -> list["Node"]:
        """Every element inside with this tag (and class, and attribute values)."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (
                    child.tag == tag
                    and (cls is None or cls in child.classes)
                    and all(child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
                ):
                    found.append(child)
                found.extend(child.all(tag, cls, **attrs))
        return found

    def one(self, tag: str, cls: str | None = None, **attrs: str) -> "Node":
        """The one element inside with this tag (and class, and attributes)."""
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} class={cls} {attrs}> found, not one"
        return found[0]


def _collapsed(text: str) -> str:
    return re.sub(r"[ \t\n\r\f]+", " ", text).strip(" ")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(node)
        if tag not in VOID:
            self.open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(html: str) -> Node:
    """The page (or part of one) as a tree; it fails on an end tag that closes the wrong
    element, so a test also finds markup that does not nest."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    assert parser.open == [parser.root], f"<{parser.open[-1].tag}> is never closed"
    return parser.root
