"""What an htmx action says is shown on the page where it happened, not the next one."""

from django.urls import reverse

from tests.factories import MissionFactory
from tests.html import parse

HTMX = {"headers": {"HX-Request": "true"}}


def add_goal(client, mission, **extra):
    return client.post(
        reverse("reporting:goal_add", args=["acme", mission.slug]),
        {"goal-title": "Halve food waste", "goal-weight": 1},
        **extra,
    )


def test_an_htmx_fragment_carries_its_message_out_of_band(cast, login):
    mission = MissionFactory(organisation=cast.org)
    client = login(cast.admin)

    response = add_goal(client, mission, **HTMX)

    assert response.status_code == 200
    region = parse(response.text).one("div", id="messages")
    assert region["hx-swap-oob"] == "innerHTML"
    assert region["role"] == "status"
    assert region.text == "Goal “Halve food waste” added."
    # Shown once: the next page does not repeat it.
    page = parse(client.get(mission.get_absolute_url()).text)
    assert page.one("div", id="messages").text == ""


def test_without_htmx_the_message_waits_for_the_page_it_redirects_to(cast, login):
    mission = MissionFactory(organisation=cast.org)
    client = login(cast.admin)

    response = add_goal(client, mission)

    assert response.status_code == 302
    assert "messages" not in response.content.decode()
    page = parse(client.get(response["Location"]).text)
    region = page.one("div", id="messages")
    assert region.text == "Goal “Halve food waste” added."
    assert region.get("hx-swap-oob") is None


def test_every_page_has_the_region_for_htmx_to_fill(cast, login):
    page = parse(login(cast.member).get(reverse("reporting:dashboard", args=["acme"])).text)
    assert page.one("div", id="messages")["role"] == "status"
