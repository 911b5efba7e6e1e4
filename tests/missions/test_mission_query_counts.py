"""Mission pages make the same number of queries however many missions, goals and teams."""

import pytest
from django.urls import reverse

from tests.factories import (
    AlignmentFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    ResourceFactory,
    StakeholderLinkFactory,
)
from tests.orgs.test_query_counts import queries_for


def grow(mission, n: int) -> None:
    for _ in range(n):
        MetricFactory(goal__mission=mission)
        MilestoneFactory(mission=mission)
        AlignmentFactory(mission=mission)
        ResourceFactory(mission=mission)
        StakeholderLinkFactory(mission=mission)


@pytest.mark.parametrize("page", ["missions:list", "missions:map"])
def test_org_mission_pages_do_not_grow_with_missions(cast, login, page):
    client = login(cast.admin)
    for _ in range(2):
        grow(MissionFactory(organisation=cast.org), 1)
    before = queries_for(client, reverse(page, args=["acme"]))

    for _ in range(8):
        grow(MissionFactory(organisation=cast.org), 2)

    assert queries_for(client, reverse(page, args=["acme"])) == before


def test_the_mission_page_does_not_grow_with_goals_teams_and_resources(cast, login, uncached):
    mission = MissionFactory(organisation=cast.org)
    client = login(cast.admin)
    grow(mission, 1)
    before = queries_for(client, mission.get_absolute_url())

    grow(mission, 10)

    assert queries_for(client, mission.get_absolute_url()) == before <= 12  # issue 7
