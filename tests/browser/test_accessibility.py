"""What the scanners cannot see: where focus goes, what is announced, and whether the
focus ring can be seen. Every page these tests open is also validated and scanned by
the check in conftest."""

import io
import re
from collections.abc import Callable
from urllib.parse import urldefrag, urlparse

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from orgs.models import User
from tests.conftest import Cast
from tests.factories import GoalFactory, MetricFactory, MissionFactory

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], None]


def log_in(page: Page, user: User, live_server) -> None:
    """Signed in through a session made on the server: these tests are about the pages
    after it, and the sign-in form has tests of its own."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    # These tests come first in a test process, whose first pages compile their templates:
    # on a busy machine that takes longer than the usual 10 s.
    page.set_default_navigation_timeout(30_000)


def focused(page: Page) -> str:
    """The focused element, as tag#id or tag."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''); }"
    )


def test_a_full_page_form_with_errors_starts_at_a_summary_linking_each_field(
    page: Page, cast: Cast, shot: Shot, live_server, console_errors
) -> None:
    console_errors.allow(r"/missions/new/: .*status of 400")
    log_in(page, cast.admin, live_server)
    page.goto("/o/acme/missions/new/")
    page.get_by_label("Ends on").fill("2020-01-01")
    page.get_by_role("button", name=re.compile("^(Save|Create)")).click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", level=2)).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links.first).to_have_text(re.compile(r"^Title: This field is required\.$"))
    shot(page, "mission-form-errors")

    # Each link names its field and takes focus to it.
    for index in range(links.count()):
        link = links.nth(index)
        target = link.get_attribute("href")
        assert target and target.startswith("#")
        link.click()
        expect(page.locator(target)).to_be_focused()
        expect(page.locator(target)).to_have_attribute("aria-invalid", "true")
        if index == 0:
            shot(page, "first-field-focused-from-summary")
    assert links.count() >= 2

    # From the summary, Tab reaches its first link before anything else.
    summary.focus()
    page.keyboard.press("Tab")
    expect(links.first).to_be_focused()


def test_a_form_without_errors_has_no_summary_and_focus_stays_put(
    page: Page, cast: Cast, live_server
) -> None:
    log_in(page, cast.admin, live_server)
    page.goto("/o/acme/missions/new/")

    expect(page.locator("[data-error-summary]")).to_have_count(0)
    assert focused(page) == "body"


def test_a_check_in_made_in_place_moves_focus_to_its_message_in_its_row(
    page: Page, cast: Cast, live_server
) -> None:
    mission = MissionFactory(organisation=cast.org, title="Less waste", owner=cast.member)
    metric = MetricFactory(
        goal=GoalFactory(mission=mission, title="Recycle more"),
        name="Waste recycled",
        owner=cast.member,
        next_due_on=timezone.localdate(),
    )
    log_in(page, cast.member, live_server)
    page.goto("/o/acme/my-check-ins/")
    row = page.locator(f"#checkin-{metric.uid}")

    row.get_by_label(re.compile("^Value")).fill("20")
    row.get_by_label(re.compile("^Value")).press("Enter")

    # My check-ins is drawn again (the row may change group); focus lands on the row's
    # message, which a screen reader reads out as it takes focus, not on <body>.
    expect(row.get_by_role("status")).to_contain_text("Checked in 20")
    expect(row.get_by_role("status")).to_be_focused()
    expect(page.locator("#announcer")).to_be_empty()  # said once, not twice
    # Tab goes on from there, into the row.
    page.keyboard.press("Tab")
    assert row.evaluate("(r) => r.contains(document.activeElement) && r !== document.activeElement")


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG's contrast ratio of two colours."""
    lighter, darker = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def rgb(css: str) -> tuple[float, float, float]:
    r, g, b = re.findall(r"[\d.]+", css)[:3]
    return float(r), float(g), float(b)


RING = """(element) => {
  // The ring is the element's outline, or (for a radio drawn as a segment) its label's.
  let owner = element;
  while (owner && getComputedStyle(owner).outlineStyle === "none") {
    owner = owner.parentElement;
  }
  owner = owner || element;
  const style = getComputedStyle(owner);
  // Drawn outside the element, the ring meets the colour around it; drawn inside (a
  // negative offset), the element's own.
  let behind = parseFloat(style.outlineOffset) < 0 ? owner : owner.parentElement;
  while (behind && getComputedStyle(behind).backgroundColor.match(/rgba\\(.*, 0\\)$|transparent/)) {
    behind = behind.parentElement;
  }
  return {
    element: element.outerHTML.slice(0, 120), color: style.outlineColor,
    width: parseFloat(style.outlineWidth), style: style.outlineStyle,
    behind: behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)",
  };
}"""


def kinds_reached_by_tab(page: Page, presses: int) -> list[str]:
    """Tab through the page, checking each focused element's ring; the kinds reached."""
    kinds = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        element = page.evaluate_handle("() => document.activeElement")
        if page.evaluate("(e) => e === document.body", element):
            break  # past the last one
        # A date field holds focus in its day, month or year, inside it: focus-within.
        page.wait_for_function("(e) => e.matches(':focus-within')", arg=element, timeout=2000)
        kinds.append(
            page.evaluate(
                "(e) => e.matches('input, select, textarea') ? 'field'"
                " : e.matches('button, .button') ? 'button' : e.matches('a') ? 'link' : e.tagName",
                element,
            )
        )
        ring = page.evaluate(RING, element)
        assert ring["style"] == "solid" and ring["width"] >= 2, ring
        ratio = contrast(rgb(ring["color"]), rgb(ring["behind"]))
        assert ratio >= 3, (ring, ratio)
    return kinds


def test_the_focus_ring_of_fields_buttons_and_links_stands_out_3_to_1(
    page: Page, cast: Cast, live_server
) -> None:
    mission = MissionFactory(organisation=cast.org, title="Less waste", owner=cast.member)
    MetricFactory(
        goal=GoalFactory(mission=mission), owner=cast.member, next_due_on=timezone.localdate()
    )
    log_in(page, cast.member, live_server)
    page.goto("/o/acme/my-check-ins/")
    assert {"field", "button", "link"} <= set(kinds_reached_by_tab(page, 30))

    log_in(page, cast.admin, live_server)
    page.goto("/o/acme/missions/new/")
    assert {"field", "button", "link"} <= set(kinds_reached_by_tab(page, 40))


def test_the_focus_ring_colour_stands_out_on_every_background_in_the_stylesheet() -> None:
    """The ring's colour against each background the stylesheet sets: paper, canvas and
    every tint, so a field or link inside any card or notice keeps a visible ring."""
    css = (settings.BASE_DIR / "static" / "css" / "waymark.css").read_text()
    variables = dict(re.findall(r"--([a-z-]+):\s*([^;]+);", css))

    def resolve(value: str) -> str:
        while match := re.fullmatch(r"var\(--([a-z-]+)\)", value.strip()):
            value = variables[match.group(1)]
        return value.strip()

    def hex_rgb(value: str) -> tuple[float, float, float]:
        value = resolve(value).lstrip("#")
        return float(int(value[0:2], 16)), float(int(value[2:4], 16)), float(int(value[4:6], 16))

    ring = hex_rgb("var(--focus)")
    backgrounds = {
        resolve(b)
        for b in re.findall(r"background(?:-color)?:\s*(#[0-9a-fA-F]{6}|var\(--[a-z-]+\))", css)
        if resolve(b).startswith("#") and _luminance(hex_rgb(b)) > 0.5
    }
    assert {"#ffffff", "#f5f6f8", "#e8f0fc"} <= backgrounds
    for background in backgrounds:
        assert contrast(ring, hex_rgb(background)) >= 3, background


def _pattern(url: str) -> str:
    """A page's kind: its path with ids and numbers made alike."""
    path = urlparse(url).path
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<uid>", path)
    return re.sub(r"\d+", "<n>", path)


def test_the_demo_organisation_as_its_owner_every_kind_of_page(
    page: Page, live_server, console_errors
) -> None:
    """A crawl of the demo, one page of each kind: the check at the end of the test
    validates and scans each."""
    call_command("load_demo", stdout=io.StringIO())
    log_in(page, User.objects.get(email="owner@demo.waymark.example"), live_server)
    start = live_server.url + "/o/riverside-bakery/"
    queue, seen = [start], {_pattern(start)}
    visited = 0
    skip = re.compile(r"/(logout|export|download|pdf|csv)\b|\.(pdf|csv|svg|png)$|/accounts/")
    while queue and visited < 16:
        url = queue.pop(0)
        response = page.goto(url)
        assert response is not None and response.status < 500, url
        visited += 1
        for href in page.eval_on_selector_all("a[href]", "(links) => links.map((a) => a.href)"):
            href = urldefrag(href).url
            if href.startswith(start) and not skip.search(href) and _pattern(href) not in seen:
                seen.add(_pattern(href))
                queue.append(href)
    assert visited >= 12
