"""The organisation's menu shows each role what it uses, as the policy says."""

import pytest
from django.urls import reverse

from orgs import policy
from orgs.models import Membership
from tests.html import parse

EVERYONE = ["Overview", "Missions", "Reports", "Map"]
MANAGERS = ["Alignment", "Stakeholders", "Teams", "People", "Settings"]


def menu(client) -> list[str]:
    page = parse(client.get(reverse("reporting:dashboard", args=["acme"])).text)
    nav = page.one("nav", "orgnav")
    return [a.text for a in nav.all("a")]


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("owner", ["Overview", "My check-ins", "Missions", "Reports", "Map", *MANAGERS]),
        ("admin", ["Overview", "My check-ins", "Missions", "Reports", "Map", *MANAGERS]),
        ("member", ["Overview", "My check-ins", "Missions", "Reports", "Map"]),
        ("viewer", EVERYONE),
    ],
)
def test_each_role_sees_what_it_uses(cast, login, role, shown):
    assert menu(login(getattr(cast, role))) == shown


def test_the_menu_asks_the_policy(cast):
    member = Membership.objects.get(organisation=cast.org, user=cast.member)
    admin = Membership.objects.get(organisation=cast.org, user=cast.admin)
    assert not policy.in_menu(member, "settings")
    assert policy.in_menu(admin, "settings")
    assert policy.in_menu(member, "map")


def test_a_page_left_out_of_the_menu_still_opens(cast, login):
    client = login(cast.member)
    assert client.get(reverse("orgs:teams", args=["acme"])).status_code == 200
    assert client.get(reverse("missions:alignment_overview", args=["acme"])).status_code == 200
