"""Every org-scoped URL, found from the URL configuration, is a 404 to outsiders.

A new pattern under /o/<org_slug>/ with a URL argument this file cannot fill
fails the suite, so nobody can add a page without it being walked here.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from metrics.models import CheckIn
from missions.models import Report, ShareLink, ShareTarget
from tests.factories import (
    AlignmentFactory,
    IdeaFactory,
    InvitationFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    ResourceFactory,
    StakeholderLinkFactory,
    TeamFactory,
)


def org_scoped_patterns() -> list[tuple[str, list[str]]]:
    """(name for reverse, URL argument names) of every pattern that takes an org_slug."""
    found = []

    def walk(patterns, namespace: str, route_prefix: str) -> None:
        for pattern in patterns:
            route = route_prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns, route)
            elif isinstance(pattern, URLPattern) and "<slug:org_slug>" in route:
                assert pattern.name, f"org-scoped pattern {route!r} needs a name"
                arguments = [part.split(">")[0].split(":")[-1] for part in route.split("<")[1:]]
                found.append((namespace + pattern.name, arguments))

    walk(get_resolver().url_patterns, "", "")
    return found


ORG_PATTERNS = org_scoped_patterns()


def test_the_walk_finds_the_org_pages():
    names = {name for name, _ in ORG_PATTERNS}
    assert {"metrics:dashboard", "orgs:members", "orgs:member_role", "orgs:team_detail"} <= names


@pytest.fixture
def victim_objects(cast):
    team = TeamFactory(organisation=cast.org, name="Secret Team", slug="secret-team")
    invitation = InvitationFactory(organisation=cast.org)
    mission = MissionFactory(organisation=cast.org, title="Secret Mission", slug="secret-mission")
    metric = MetricFactory(goal__mission=mission)
    link = StakeholderLinkFactory(mission=mission)
    return {
        "org_slug": cast.org.slug,
        "membership_uid": cast.membership(cast.member).uid,
        "invitation_uid": invitation.uid,
        "team_slug": team.slug,
        "mission_slug": mission.slug,
        "goal_uid": metric.goal.uid,
        "metric_uid": metric.uid,
        "milestone_uid": MilestoneFactory(mission=mission).uid,
        "alignment_uid": AlignmentFactory(mission=mission, team=team).uid,
        "resource_uid": ResourceFactory(mission=mission).uid,
        "stakeholder_uid": link.stakeholder.uid,
        "link_uid": link.uid,
        "idea_uid": IdeaFactory(mission=mission).uid,
        "checkin_uid": CheckIn.objects.create(
            metric=metric, value=1, for_date=datetime.date(2026, 2, 1), note="Secret note"
        ).uid,
        "template_key": "net-zero-operations",
        "report_uid": Report.objects.create(
            organisation=cast.org,
            title="Secret Mission report",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 3, 31),
        ).uid,
        "share_uid": ShareLink.objects.create(
            organisation=cast.org, target=ShareTarget.MISSION, mission=mission
        ).uid,
    }


@pytest.mark.parametrize(("name", "arguments"), ORG_PATTERNS, ids=[n for n, _ in ORG_PATTERNS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404(cast, victim_objects, login, name, arguments, method):
    missing = [a for a in arguments if a not in victim_objects]
    assert not missing, f"teach this test a value for {missing} to walk {name}"
    url = reverse(name, kwargs={a: victim_objects[a] for a in arguments})
    client = login(cast.outsider)

    response = getattr(client, method)(url, {"name": "Hijacked", "role": "owner"})

    assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
    assert b"Secret Team" not in response.content
    assert b"Secret Mission" not in response.content
    assert b"Secret note" not in response.content
    assert b"Acme" not in response.content


@pytest.mark.parametrize(("name", "arguments"), ORG_PATTERNS, ids=[n for n, _ in ORG_PATTERNS])
def test_anonymous_visitors_are_sent_to_log_in(cast, victim_objects, client, name, arguments):
    url = reverse(name, kwargs={a: victim_objects[a] for a in arguments})
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
