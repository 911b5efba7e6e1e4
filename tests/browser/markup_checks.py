"""The W3C Nu HTML validator and axe-core, run on every page the browser tests visit.

Both come from the npm packages in tests/browser/markup (installed by .ci/run with
`npm ci`). The validator runs once per test process as a local HTTP server; axe-core
runs inside Chromium on a copy of each page, replayed at desktop and phone widths.
"""

import hashlib
import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from playwright.sync_api import Browser, Page, Route

from tests.html import VOID

TOOLS = Path(__file__).parent / "markup" / "node_modules"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = TOOLS / "axe-core" / "axe.min.js"

# Set aside: htmx's attributes, which are not HTML's, and in the emails shown in the
# browser, Outlook's own CSS properties (mso-hide keeps a preheader out of sight there).
SET_ASIDE = re.compile(
    r"^(Attribute “hx-[a-z-]+” not allowed on element|CSS: “mso-[a-z-]+”: Property)"
)
FAILING_IMPACTS = ("serious", "critical")

# Tokens and nonces differ on every render of a page; without them, pages that are
# otherwise the same are checked once.
PER_REQUEST = re.compile(rb'(?:name="csrfmiddlewaretoken" value=|nonce=|"X-CSRFToken": )"?[^"&\s]+')


FRAGMENT_PARENTS = {
    "li": ("<ul>", "</ul>"),
    "tr": ("<table>", "</table>"),
    "td": ("<table><tr>", "</tr></table>"),
    "option": ("<select>", "</select>"),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Validator:
    """The Nu validator's own HTTP server, started with the first browser test and kept
    for the session: one Java start per test process instead of one per page."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.ready = False

    def start(self) -> None:
        """Start the server without waiting for it: Java takes seconds to start, which
        the first test's own steps hide."""
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/"
        # The quick compiler and the serial collector for a short-lived server on small pages;
        # reading its schemas recurses deeply, hence the larger stack.
        java = ["java", "-Xmx512m", "-Xss16m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
        self.process = subprocess.Popen(  # noqa: S603 -- a fixed command: our jar, our port
            [*java, "-cp", str(VNU_JAR), "nu.validator.servlet.Main", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Nu validator stopped at start ({self.process.returncode})")
            try:
                urllib.request.urlopen(self.url, timeout=2).close()  # noqa: S310 -- local http
                self.ready = True
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise RuntimeError("the Nu validator did not start within 90 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def errors(self, html: bytes) -> list[str]:
        """The validator's errors for one document, as 'line N: message “extract”'."""
        if self.process is None:
            self.start()
        if not self.ready:
            self.wait_until_ready()
        request = urllib.request.Request(  # noqa: S310 -- the local validator, over http
            self.url + "?out=json",
            data=html,
            headers={"Content-Type": "text/html; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            messages = json.load(response)["messages"]
        return [
            f"line {m.get('lastLine', '?')}: {m['message']} “{m.get('extract', '').strip()}”"
            for m in messages
            if m["type"] in ("error", "non-document-error") and not SET_ASIDE.match(m["message"])
        ]


@dataclass
class Visited:
    """One HTML response a page received: a whole document, or an htmx fragment."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fragment: bool

    def replay_headers(self) -> dict[str, str]:
        """The headers to serve the body again with: the body is already decoded."""
        dropped = ("content-encoding", "content-length", "set-cookie")
        return {k: v for k, v in self.headers.items() if k.lower() not in dropped}

    def key(self) -> str:
        return hashlib.sha256(PER_REQUEST.sub(b"", self.body)).hexdigest()

    def as_document(self) -> bytes:
        """A document as it came; a fragment inside a minimal page, each of its top-level
        elements (the swapped part, then any out-of-band ones) in the parent its tag needs:
        a list item in a list, a row in a table."""
        if not self.fragment:
            return self.body
        wrapped = ""
        for tag, chunk in top_level_elements(self.body.decode()):
            opening, closing = FRAGMENT_PARENTS.get(tag, ("", ""))
            wrapped += opening + chunk + closing
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>fragment</title></head><body>{wrapped}</body></html>"
        ).encode()


class _TopLevel(HTMLParser):
    """Where each top-level element of a fragment starts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.depth = 0
        self.starts: list[tuple[tuple[int, int], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0:
            self.starts.append((self.getpos(), tag))
        if tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID:
            self.depth = max(0, self.depth - 1)


def top_level_elements(html: str) -> list[tuple[str, str]]:
    """A fragment cut before each top-level element: (its tag, the text up to the next)."""
    parser = _TopLevel()
    parser.feed(html)
    parser.close()
    line_starts = [0]
    for line in html.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    offsets = [line_starts[line - 1] + column for (line, column), _ in parser.starts]
    if not offsets:
        return [("", html)]
    cuts = [0, *offsets[1:], len(html)]
    tags = [tag for _, tag in parser.starts]
    return [(tags[i], html[cuts[i] : cuts[i + 1]]) for i in range(len(tags))]


class AxeReplay:
    """A page of its own, kept for the session, on which each document a test received
    is served again as it came (so the test's own pages are not resized or disturbed),
    with its styles and scripts, and scanned by axe-core at each width."""

    def __init__(self, browser: Browser, widths: list[dict[str, int]]) -> None:
        self.browser = browser
        self.widths = widths
        self.page: Page | None = None
        self.serving: Visited | None = None

    def _open(self) -> Page:
        context = self.browser.new_context()
        context.add_init_script(path=str(AXE_JS))
        context.route("**/*", self._serve)
        return context.new_page()

    def _serve(self, route: Route) -> None:
        document = self.serving
        request = route.request
        if document and request.url == document.url and request.resource_type == "document":
            route.fulfill(
                status=document.status, headers=document.replay_headers(), body=document.body
            )
        else:
            route.continue_()

    def violations(self, documents: list[Visited]) -> list[str]:
        """Serious and critical violations of each document at each width."""
        if not documents:
            return []
        if self.page is None:
            self.page = self._open()
        found = []
        for document in documents:
            self.serving = document
            self.page.set_viewport_size(self.widths[0])
            self.page.goto(document.url, wait_until="load")
            for size in self.widths:
                self.page.set_viewport_size(size)
                for violation in self.page.evaluate(AXE_RUN, list(FAILING_IMPACTS)):
                    found.append(f"{document.url} at {size['width']} px: {violation}")
        self.serving = None
        return found

    def close(self) -> None:
        if self.page is not None:
            self.page.context.close()
            self.page = None


AXE_RUN = """async (impacts) => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => {
      const where = v.nodes.map((n) => n.target.join(" ")).join(", ");
      return `${v.impact} ${v.id}: ${v.help} (${where})`;
    });
}"""


@dataclass
class MarkupChecks:
    """What one test's pages received, and what the validator and axe found in them."""

    validator: Validator
    axe: AxeReplay
    # Pages found clean earlier in the session, by key: the same page is not checked twice.
    clean: set[str] = field(default_factory=set)
    visited: list[Visited] = field(default_factory=list)
    # The test's pages, and how many response bodies are being read from them.
    pages: list[Page] = field(default_factory=list)
    reading: int = 0
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def record(self, visited: Visited) -> None:
        self.visited.append(visited)

    def settle(self) -> None:
        """Wait for the bodies still being read: a response's listener reads its body while
        the test goes on, and Playwright only runs it while some page is awaited."""
        deadline = time.monotonic() + 30
        while self.reading and time.monotonic() < deadline:
            open_pages = [p for p in self.pages if not p.is_closed()]
            if not open_pages:
                return
            open_pages[0].wait_for_timeout(50)

    def forget(self) -> None:
        self.visited.clear()

    def problems(self) -> list[str]:
        self.settle()
        unique = [v for k, v in {v.key(): v for v in self.visited}.items() if k not in self.clean]
        found = [f"{self.reading} response(s) still unread after 30 s: not checked"] * bool(
            self.reading
        )
        found += [
            f"{v.url}{' (htmx fragment)' if v.fragment else ''} {error}"
            for v in unique
            for error in self.validator.errors(v.as_document())
        ]
        found += self.axe.violations([v for v in unique if not v.fragment])
        if not found:
            self.clean.update(v.key() for v in unique)
        return [p for p in found if not any(a.search(p) for a in self.allowed)]
