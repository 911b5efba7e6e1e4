"""Pages make the same number of queries however much data an organisation has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import InvitationFactory, MembershipFactory, TeamFactory, TeamMemberFactory


def queries_for(client, url: str) -> int:
    client.get(url)  # the first visit also stores the current organisation in the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def grow(org, n: int) -> None:
    for _ in range(n):
        membership = MembershipFactory(organisation=org)
        team = TeamFactory(organisation=org, lead=membership.user)
        TeamMemberFactory(team=team, user=membership.user)
        InvitationFactory(organisation=org)


@pytest.mark.parametrize(
    "page", ["reporting:dashboard", "orgs:members", "orgs:teams", "orgs:settings"]
)
def test_query_count_does_not_grow_with_people_and_teams(cast, login, page):
    client = login(cast.admin)
    url = reverse(page, args=["acme"])
    grow(cast.org, 2)
    before = queries_for(client, url)

    grow(cast.org, 10)

    assert queries_for(client, url) == before


def test_team_page_query_count_does_not_grow_with_members(cast, login):
    team = TeamFactory(organisation=cast.org)
    client = login(cast.admin)
    url = reverse("orgs:team_detail", args=["acme", team.slug])
    for _ in range(2):
        TeamMemberFactory(team=team, user=MembershipFactory(organisation=cast.org).user)
    before = queries_for(client, url)

    for _ in range(10):
        TeamMemberFactory(team=team, user=MembershipFactory(organisation=cast.org).user)

    assert queries_for(client, url) == before


def test_the_account_pages_query_count_does_not_grow_with_organisations(cast, login):
    """Deleting one's account lists the organisations only they own; the data download
    streams every membership, check-in and idea: neither asks once per organisation."""
    client = login(cast.owner)

    def pages() -> tuple[int, int]:
        deleting = queries_for(client, reverse("account_delete"))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("account_data"))
            b"".join(response.streaming_content)
        assert response.status_code == 200
        return deleting, len(captured)

    for _ in range(2):
        MembershipFactory(user=cast.owner, role="owner")
    before = pages()

    for _ in range(10):
        MembershipFactory(user=cast.owner, role="owner")

    assert pages() == before
