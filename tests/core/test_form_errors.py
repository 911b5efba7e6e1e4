"""The shared form-errors include: a full page's form with errors starts with a summary
linking each wrong field; an htmx fragment keeps only the errors that belong to no field
(focus goes to its first wrong field instead)."""

import pytest

from tests.conftest import Cast
from tests.factories import MissionFactory
from tests.html import Node, parse

pytestmark = pytest.mark.django_db


def summary_links(page: Node) -> list[tuple[str, str]]:
    summaries = page.all("div", data_error_summary="")
    if not summaries:
        return []
    (summary,) = summaries
    assert summary.one("div", role="alert").one("h2").text == "There is a problem"
    return [(a["href"], a.text) for a in summary.all("a")]


def test_a_full_page_form_with_errors_links_each_wrong_field(cast: Cast, login) -> None:
    response = login(cast.admin).post("/o/acme/missions/new/", {"title": "", "purpose": ""})
    page = parse(response.content.decode())

    links = summary_links(page)
    assert ("#id_title", "Title: This field is required.") in links
    assert ("#id_purpose", "Purpose: This field is required.") in links
    for href, _ in links:  # each leads to a field on the page, marked invalid
        (field,) = [
            n for tag in ("input", "select", "textarea") for n in page.all(tag, id=href[1:])
        ]
        assert field["aria-invalid"] == "true"


def test_a_form_without_errors_has_no_summary(cast: Cast, login) -> None:
    page = parse(login(cast.admin).get("/o/acme/missions/new/").content.decode())

    assert summary_links(page) == []


def test_an_htmx_form_with_errors_has_no_summary(cast: Cast, login) -> None:
    mission = MissionFactory(organisation=cast.org, title="Less waste")
    response = login(cast.admin).post(
        f"/o/acme/missions/{mission.slug}/goals/",
        {"goal-title": "", "goal-weight": "500"},
        headers={"HX-Request": "true"},
    )
    page = parse(response.content.decode())

    assert response.status_code == 422
    assert summary_links(page) == []
    assert [i["name"] for i in page.all("input", aria_invalid="true")] == [
        "goal-title",
        "goal-weight",
    ]
