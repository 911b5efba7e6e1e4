"""A real Chromium, driven by Playwright, against the live test server.

Each test gets fresh browser contexts (no shared cookies), a `shot` helper that
saves full-page screenshots at desktop and phone widths under
artifacts/screenshots/<test>/, a check that no page logged a console error
(the strict Content-Security-Policy reports its violations there), and a check of
every HTML page and htmx fragment the test received: the W3C Nu validator finds no
error and axe-core no serious or critical violation at either width (markup_checks).
"""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Response,
    sync_playwright,
)

from tests.browser.markup_checks import VNU_JAR, AxeReplay, MarkupChecks, Validator, Visited
from tests.conftest import CHROMIUM, require_service

# Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    require_service(shutil.which(CHROMIUM) is not None, "Chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@dataclass
class ConsoleErrors:
    """Errors logged by any page of the test; some are expected and can be allowed."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def record(self, page: Page, text: str) -> None:
        self.seen.append(f"{page.url}: {text}")

    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture(scope="session")
def validator() -> Iterator[Validator]:
    require_service(
        VNU_JAR.exists() and shutil.which("java") is not None,
        "The Nu validator (Java, and npm ci --prefix tests/browser/markup --ignore-scripts)",
    )
    validator = Validator()
    validator.start()
    yield validator
    validator.stop()


@pytest.fixture(scope="session")
def clean_pages() -> set[str]:
    return set()


@pytest.fixture(scope="session")
def axe_replay(browser: Browser) -> Iterator[AxeReplay]:
    replay = AxeReplay(browser, widths=[DESKTOP, PHONE])
    yield replay
    replay.close()


@pytest.fixture
def markup(validator: Validator, axe_replay: AxeReplay, clean_pages: set[str]) -> MarkupChecks:
    """The pages this test received; new_page checks them when the test ends."""
    return MarkupChecks(validator=validator, axe=axe_replay, clean=clean_pages)


def _record_html(markup: MarkupChecks, site: str) -> Callable[[Response], None]:
    """A response listener keeping each HTML document and htmx fragment from our server
    (not the single sign-on provider's pages, nor redirects)."""

    def on_response(response: Response) -> None:
        request = response.request
        fragment = request.headers.get("hx-request") == "true"
        if not (request.resource_type == "document" or fragment):
            return
        if not response.url.startswith(site) or 300 <= response.status < 400:
            return
        if not response.headers.get("content-type", "").startswith("text/html"):
            return
        markup.reading += 1
        try:
            body = response.body()
        except Error:  # the page went on to another before the body was read
            return
        finally:
            markup.reading -= 1
        if body:
            markup.record(Visited(response.url, response.status, response.headers, body, fragment))

    return on_response


@pytest.fixture
def new_page(
    browser: Browser,
    live_server,
    transactional_db: None,
    console_errors: ConsoleErrors,
    markup: MarkupChecks,
) -> Iterator[Callable[[], Page]]:
    """Open a page in a fresh browser context: a new, anonymous visitor."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.on("response", _record_html(markup, live_server.url))
        page = context.new_page()
        markup.pages.append(page)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                console_errors.record(page, message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: console_errors.record(page, f"uncaught {error}"))
        return page

    yield open_page
    markup.settle()
    for context in contexts:
        context.close()
    failures = []
    if unexpected := console_errors.unexpected():
        failures.append("Console errors in the browser:\n" + "\n".join(unexpected))
    if problems := markup.problems():
        failures.append("Invalid or inaccessible markup:\n" + "\n".join(problems))
    if failures:
        pytest.fail("\n\n".join(failures))


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    """shot(page, "step") saves <nn>-<step>-<width>.png at desktop and phone widths."""
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken = 0

    def take(page: Page, step: str) -> None:
        nonlocal taken
        taken += 1
        original = page.viewport_size or DESKTOP
        # The sticky top bar is drawn where the page is scrolled to: start at the top.
        page.evaluate("window.scrollTo(0, 0)")
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            page.screenshot(
                path=folder / f"{taken:02d}-{step}-{size['width']}.png",
                full_page=True,
                caret="initial",
            )
        page.set_viewport_size(original)

    return take
