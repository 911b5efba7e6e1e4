import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs.access import get_org_for_user
from orgs.roles import Role
from tests.factories import MilestoneFactory, MissionFactory


def request_as(user, rf: RequestFactory):
    request = rf.get("/")
    request.user = user
    request.session = {}
    return request


def test_member_gets_their_organisation_and_membership(cast, rf):
    org, membership = get_org_for_user(request_as(cast.member, rf), "acme")
    assert org == cast.org
    assert membership.role == Role.MEMBER


def test_outsider_gets_404(cast, rf):
    with pytest.raises(Http404):
        get_org_for_user(request_as(cast.outsider, rf), "acme")


def test_missing_organisation_looks_the_same_as_someone_elses(cast, rf):
    with pytest.raises(Http404):
        get_org_for_user(request_as(cast.outsider, rf), "no-such-org")


def test_viewer_cannot_do_what_needs_a_member(cast, rf):
    with pytest.raises(PermissionDenied):
        get_org_for_user(request_as(cast.viewer, rf), "acme", min_role=Role.MEMBER)


def test_member_cannot_do_what_needs_an_admin(cast, rf):
    with pytest.raises(PermissionDenied):
        get_org_for_user(request_as(cast.member, rf), "acme", min_role=Role.ADMIN)


@pytest.mark.parametrize("who", ["admin", "owner"])
def test_admins_and_owners_may_manage(cast, rf, who):
    _, membership = get_org_for_user(request_as(getattr(cast, who), rf), "acme", Role.ADMIN)
    assert membership.can_manage


def test_the_organisation_used_last_is_remembered(cast, rf):
    request = request_as(cast.member, rf)
    get_org_for_user(request, "acme")
    assert request.session["current_org"] == "acme"


def test_dates_on_org_pages_follow_the_organisations_time_zone(cast, login):
    """At 23:30 UTC on 31 Dec it is already 1 Jan in Auckland: a milestone due 31 Dec is late."""
    cast.org.time_zone = "Pacific/Auckland"
    cast.org.save()
    mission = MissionFactory(organisation=cast.org)
    MilestoneFactory(mission=mission, title="Year-end deliverable", due_on="2026-12-31")
    with time_machine.travel("2026-12-31 23:30Z"):
        response = login(cast.member).get(mission.get_absolute_url())
    assert '<span class="late">Late</span>' in response.text


def test_an_htmx_request_that_needs_a_login_is_sent_there_from_the_page_it_came_from(client):
    response = client.post(
        "/o/acme/missions/walked/goals/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/o/acme/missions/m/"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/o/acme/missions/m/"
    assert "Location" not in response
    assert response.content == b""


def test_a_plain_request_that_needs_a_login_is_redirected(client):
    response = client.get("/o/acme/missions/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/o/acme/missions/"
    assert "HX-Redirect" not in response


def test_a_page_reads_the_persons_memberships_once(cast, login):
    # The access check, the view and the organisation menu share one read.
    client = login(cast.member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reporting:dashboard", args=["acme"]))
    assert response.status_code == 200
    assert "Acme" in response.text
    reads = [q for q in queries.captured_queries if 'FROM "orgs_membership"' in q["sql"]]
    assert len(reads) == 1
