"""The check every browser test's pages go through finds what it is there to find."""

import pytest
from playwright.sync_api import Page, Route

from tests.browser.markup_checks import MarkupChecks, Validator

pytestmark = pytest.mark.browser

# A form inside a <span> and a datetime with six-digit fractions (validator errors), an
# image with no text alternative (critical for axe), and an htmx attribute (set aside).
BAD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body><main>
  <h1>Bad</h1>
  <span><form method="post"><button hx-post="/x">Go</button></form></span>
  <time datetime="2026-12-05 14:00:00.123456+00:00">today</time>
  <img src="/static/img/waymark.svg">
</main></body></html>"""


def test_the_checks_report_a_page_with_known_errors(
    page: Page, markup: MarkupChecks, live_server
) -> None:
    url = live_server.url + "/known-bad-page/"

    def serve_bad_page(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=BAD_PAGE)

    page.route(url, serve_bad_page)
    page.goto(url)

    problems = markup.problems()
    text = "\n".join(problems)
    assert "Element “form” not allowed as child of element “span”" in text
    assert "Bad value “2026-12-05 14:00:00.123456+00:00” for attribute “datetime”" in text
    assert f"{url} at 1280 px: critical image-alt" in text
    assert f"{url} at 390 px: critical image-alt" in text
    assert "hx-post" not in text
    markup.forget()  # so that this test's own end-of-test check passes


def test_the_checks_pass_a_valid_page(page: Page, markup: MarkupChecks) -> None:
    page.goto("/")

    assert markup.problems() == []  # first: it waits for the page's body to be read
    assert [v.url for v in markup.visited] == [page.url]


def test_the_validator_sets_htmx_attributes_aside(validator: Validator) -> None:
    page = b"""<!doctype html><html lang="en"><head><title>t</title></head>
    <body><form hx-post="/x" hx-target="#t" hx-swap="outerHTML" data-x="1"></form>
    <p bogus="1" id="t">t</p></body></html>"""

    errors = validator.errors(page)

    assert len(errors) == 1
    assert "Attribute “bogus” not allowed on element “p”" in errors[0]
