"""Share links, share pages, the public progress page, the badge and their cache."""

import datetime
import re
import uuid
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from core import pagecache
from core.tokens import new_token, token_digest
from metrics.services import checkin_correct, checkin_record
from missions.models import Mission, Report, ShareLink, ShareTarget, Visibility
from orgs.forms import OrganisationForm
from orgs.models import Organisation
from reporting import sharing
from reporting.reports import report_publish
from reporting.views import public
from tests.conftest import _reachable, require_service
from tests.factories import (
    AlignmentFactory,
    GoalFactory,
    IdeaFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    ResourceFactory,
    StakeholderFactory,
    StakeholderLinkFactory,
    TeamFactory,
)

TODAY = "2026-06-15 12:00Z"
GONE = "This link is no longer active"


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A cache of this test's own: ids repeat between tests, cached pages must not."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"share-tests-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what waits for the commit, the cache invalidation among
    it, at the end of the block; a test's transaction never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def measured(
    mission, author, *, goal=None, loose=False, kind="outcome", name=None, values=(20, 30), note=""
):
    """A metric from 10 to 50 over 2026–27, with a check-in a month from February."""
    metric = MetricFactory(
        mission=mission,
        goal=None if loose else goal or GoalFactory(mission=mission),
        kind=kind,
        owner=author,
        **({"name": name} if name else {}),
    )
    for month, value in enumerate(values, start=2):
        checkin_record(
            metric,
            value=Decimal(value),
            for_date=datetime.date(2026, month, 1),
            author=author,
            confidence="on_track",
            note=note,
        )
    return metric


def shareable_mission(org, owner, title="Zero waste by 2030", **fields):
    return MissionFactory(
        organisation=org,
        title=title,
        visibility=Visibility.SHAREABLE,
        owner=owner,
        purpose="Send nothing to landfill.",
        end_state="By 2030, nothing we make ends up in landfill.",
        **fields,
    )


def link_to(mission=None, *, org=None, report=None, **fields):
    if mission is not None:
        return ShareLink.objects.create(
            organisation=mission.organisation, target=ShareTarget.MISSION, mission=mission, **fields
        )
    if report is not None:
        return ShareLink.objects.create(
            organisation=report.organisation, target=ShareTarget.REPORT, report=report, **fields
        )
    return ShareLink.objects.create(organisation=org, target=ShareTarget.ORGANISATION, **fields)


def page_url(link):
    return reverse("share_page", args=[link.token])


def badge_url(link):
    return reverse("share_badge", args=[link.token])


def share_url(mission):
    return reverse("reporting:share", args=[mission.organisation.slug, mission.slug])


@pytest.fixture
def mission(cast):
    mission = shareable_mission(cast.org, cast.member)
    goal = GoalFactory(mission=mission, title="Recycle every offcut")
    measured(mission, cast.member, goal=goal, name="Share of waste recycled", values=(20, 30))
    MilestoneFactory(mission=mission, title="Baler installed", due_on=datetime.date(2026, 9, 1))
    return mission


# --- Managing links -------------------------------------------------------------------------


def test_admin_creates_a_link_for_a_shareable_mission(cast, login, mission):
    response = login(cast.admin).post(share_url(mission), {"label": "Suppliers"})

    link = ShareLink.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#link-{link.uid}")
    assert (link.target, link.mission, link.organisation) == ("mission", mission, cast.org)
    assert (link.label, link.created_by, link.expires_at) == ("Suppliers", cast.admin, None)

    page = login(cast.admin).get(share_url(mission))
    token = re.search(r"http://testserver/s/([\w-]+)/", page.text)[1]
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    assert link.token_hash == token_digest(token)
    assert f"http://testserver/s/{token}/badge.svg" in page.text  # the embed snippet
    assert "<strong>0</strong> views" in page.text
    assert "Copy this address now" in page.text


def test_a_link_is_stored_as_a_digest_and_shown_only_once(cast, login, mission):
    client = login(cast.admin)
    client.post(share_url(mission), {"label": "Suppliers"})
    first = client.get(share_url(mission)).text
    token = re.search(r"http://testserver/s/([\w-]+)/", first)[1]

    link = ShareLink.objects.get()
    assert token not in str(ShareLink.objects.values().get())  # only its digest is kept
    assert Client().get(f"/s/{token}/").status_code == 200  # and the link works

    again = client.get(share_url(mission)).text
    assert token not in again
    assert "The address was shown once" in again
    assert f'action="/o/acme/missions/{mission.slug}/share/{link.uid}/revoke/"' in again
    organisation_page = client.get(reverse("reporting:org_share", args=[cast.org.slug])).text
    assert token not in organisation_page


def test_the_owner_of_a_mission_manages_its_links(cast, login, mission):
    client = login(cast.member)  # owns the mission
    assert client.get(share_url(mission)).status_code == 200
    assert client.post(share_url(mission), {"label": ""}).status_code == 302


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_others_in_the_organisation_cannot_manage_links(cast, login, role):
    mission = shareable_mission(cast.org, cast.owner)
    link = link_to(mission)
    client = login(getattr(cast, role))

    assert client.get(share_url(mission)).status_code == 403
    assert client.post(share_url(mission), {"label": "Mine"}).status_code == 403
    revoke = reverse("reporting:share_revoke", args=["acme", mission.slug, link.uid])
    assert client.post(revoke).status_code == 403
    assert ShareLink.objects.count() == 1
    assert ShareLink.objects.get().revoked_at is None


def test_the_share_tab_shows_to_those_who_manage_links(cast, login, mission):
    url = mission.get_absolute_url()
    assert share_url(mission) in login(cast.admin).get(url).text
    assert share_url(mission) in login(cast.member).get(url).text  # the owner
    assert share_url(mission) not in login(cast.viewer).get(url).text


@pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.ORGANISATION])
def test_a_mission_that_is_not_shareable_gets_no_link(cast, login, visibility):
    mission = MissionFactory(organisation=cast.org, visibility=visibility)
    client = login(cast.admin)

    page = client.get(share_url(mission))
    refused = client.post(share_url(mission), {"label": "Try anyway"})

    assert "shareable with stakeholders" in page.text
    assert reverse("missions:edit", args=["acme", mission.slug]) in page.text
    assert 'name="label"' not in page.text
    assert refused.status_code == 400
    assert "isn’t shareable" in refused.text
    assert not ShareLink.objects.exists()


def test_an_expiry_date_is_the_last_day_the_link_works_in_the_organisations_zone(
    cast, login, mission
):
    cast.org.time_zone = "America/New_York"
    cast.org.save()
    login(cast.admin).post(share_url(mission), {"label": "", "expires_on": "2026-06-30"})

    link = ShareLink.objects.get()
    assert link.expires_at == datetime.datetime(2026, 7, 1, 4, 0, tzinfo=datetime.UTC)
    assert "works until 30 Jun 2026" in login(cast.admin).get(share_url(mission)).text


def test_an_expiry_date_in_the_past_is_refused(cast, login, mission):
    response = login(cast.admin).post(share_url(mission), {"expires_on": "2026-06-14"})
    assert response.status_code == 400
    assert "Choose a date between today and 31 Dec 2100." in response.text
    assert not ShareLink.objects.exists()


def test_revoking_a_link_stops_it(cast, client, login, mission):
    link = link_to(mission, label="Newsletter")
    assert client.get(page_url(link)).status_code == 200

    revoke = reverse("reporting:share_revoke", args=["acme", mission.slug, link.uid])
    response = login(cast.member).post(revoke)

    link.refresh_from_db()
    assert response.status_code == 302
    assert link.revoked_at == timezone.now()
    client.logout()
    assert client.get(page_url(link)).status_code == 404
    assert "Revoked" in login(cast.member).get(share_url(mission)).text


def test_revoking_needs_a_post(cast, login, mission):
    link = link_to(mission)
    revoke = reverse("reporting:share_revoke", args=["acme", mission.slug, link.uid])
    assert login(cast.admin).get(revoke).status_code == 405


def test_a_link_of_another_mission_cannot_be_revoked_through_this_one(cast, login, mission):
    other = link_to(shareable_mission(cast.org, cast.admin, title="Other"))
    revoke = reverse("reporting:share_revoke", args=["acme", mission.slug, other.uid])
    assert login(cast.member).post(revoke).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def published_report(org, author, missions, title="Spring report"):
    report = Report.objects.create(
        organisation=org,
        title=title,
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 5, 31),
        narrative="All going to plan.",
        author=author,
    )
    report.missions.set(missions)
    return report_publish(report, author)


def test_admin_links_to_the_organisation_page_and_to_published_reports(cast, login, mission):
    report = published_report(cast.org, cast.admin, [mission])
    draft = Report.objects.create(
        organisation=cast.org,
        title="Draft report",
        period_start=datetime.date(2026, 6, 1),
        period_end=datetime.date(2026, 6, 30),
    )
    client = login(cast.admin)
    url = reverse("reporting:org_share", args=["acme"])

    page = client.get(url)
    assert f'value="{report.uid}"' in page.text
    assert "Draft report" not in page.text
    client.post(url, {"share": "organisation", "label": "Investors"})
    client.post(url, {"share": str(report.uid), "label": "Funders"})
    refused = client.post(url, {"share": str(draft.uid)})

    assert refused.status_code == 400
    links = {link.label: link for link in ShareLink.objects.all()}
    assert set(links) == {"Investors", "Funders"}
    assert (links["Investors"].target, links["Investors"].report) == ("organisation", None)
    assert (links["Funders"].target, links["Funders"].report) == ("report", report)


def test_a_report_about_a_mission_that_is_not_shareable_gets_no_link(cast, login, mission):
    internal = MissionFactory(organisation=cast.org, title="Internal", owner=cast.admin)
    report = published_report(cast.org, cast.admin, [mission, internal], title="Mixed report")
    client = login(cast.admin)
    url = reverse("reporting:org_share", args=["acme"])

    page = client.get(url)
    refused = client.post(url, {"share": str(report.uid)})

    assert f'value="{report.uid}"' not in page.text
    assert "Not offered" in page.text and "Mixed report" in page.text
    assert refused.status_code == 400
    assert not ShareLink.objects.exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_manage_the_organisations_links(cast, login, role):
    link = link_to(org=cast.org)
    client = login(getattr(cast, role))
    assert client.get(reverse("reporting:org_share", args=["acme"])).status_code == 403
    revoke = reverse("reporting:org_share_revoke", args=["acme", link.uid])
    assert client.post(revoke).status_code == 403


def test_admin_revokes_any_link_from_the_organisations_page(cast, login, mission):
    link = link_to(mission)
    login(cast.admin).post(reverse("reporting:org_share_revoke", args=["acme", link.uid]))
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_the_public_page_is_turned_on_in_the_settings(cast, login):
    assert "public_page" in OrganisationForm.Meta.fields
    login(cast.admin).post(
        reverse("orgs:settings", args=["acme"]),
        {
            "name": cast.org.name,
            "slug": "acme",
            "time_zone": "Europe/London",
            "week_starts_on": 0,
            "public_page": "on",
        },
    )
    cast.org.refresh_from_db()
    assert cast.org.public_page


# --- The pages people see without an account ------------------------------------------------


def test_a_mission_link_shows_its_progress_without_an_account(client, mission):
    link = link_to(mission)

    response = client.get(page_url(link))

    assert response.status_code == 200
    assert "Zero waste by 2030" in response.text
    assert "By 2030, nothing we make ends up in landfill." in response.text
    assert "Recycle every offcut" in response.text
    assert "Share of waste recycled" in response.text
    assert "Baler installed" in response.text
    assert "30" in response.text and '<svg class="chart' in response.text
    assert "Acme Missions" in response.text


def test_an_organisation_link_shows_its_shareable_live_missions(cast, client, mission):
    MissionFactory(organisation=cast.org, title="Kept inside", visibility=Visibility.ORGANISATION)
    shareable_mission(cast.org, cast.admin, title="Gone quiet", archived_at=timezone.now())

    response = client.get(page_url(link_to(org=cast.org)))

    assert "Zero waste by 2030" in response.text
    assert "Kept inside" not in response.text
    assert "Gone quiet" not in response.text


def test_a_report_link_shows_the_published_report_as_frozen(cast, client, mission):
    report = published_report(cast.org, cast.admin, [mission])
    link = link_to(report=report)
    before = client.get(page_url(link)).text

    metric = mission.metrics.get()
    checkin_record(
        metric,
        value=Decimal(45),
        for_date=datetime.date(2026, 6, 1),
        author=cast.admin,
        confidence="on_track",
    )
    cache.clear()
    after = client.get(page_url(link))

    assert after.status_code == 200
    assert "Spring report" in after.text
    assert "All going to plan." in after.text
    assert after.text == before


def test_a_draft_report_is_never_shown(cast, client, mission):
    draft = Report.objects.create(
        organisation=cast.org,
        title="Not yet",
        period_start=datetime.date(2026, 6, 1),
        period_end=datetime.date(2026, 6, 30),
    )
    response = client.get(page_url(link_to(report=draft)))
    assert response.status_code == 404
    assert "Not yet" not in response.text


@pytest.fixture
def gone_pages(cast, client, mission):
    """The answers for every kind of link that shows nothing."""
    revoked = link_to(mission, revoked_at=timezone.now())
    expired = link_to(mission, expires_at=timezone.now() - datetime.timedelta(seconds=1))
    tokens = {
        "revoked": revoked.token,
        "expired": expired.token,
        "unknown": new_token(),
        "short": "abc",
        "odd characters": "a" * 20 + "%00" + "b" * 30,
        "too long": "x" * 300,
        "sql": "' OR 1=1 --" + "a" * 40,
    }
    return {reason: client.get(f"/s/{token}/") for reason, token in tokens.items()}


def test_revoked_expired_unknown_and_malformed_links_answer_the_same_404(gone_pages):
    bodies = {response.content for response in gone_pages.values()}
    assert len(bodies) == 1
    for reason, response in gone_pages.items():
        assert response.status_code == 404, reason
        assert GONE in response.text
        assert "Zero waste" not in response.text
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["X-Robots-Tag"] == "noindex"
        assert not response.cookies


def test_a_badge_of_a_link_that_shows_nothing_is_the_same_404(cast, client, mission, gone_pages):
    revoked = link_to(mission, revoked_at=timezone.now())
    organisation_link = link_to(org=cast.org)
    for url in (badge_url(revoked), badge_url(organisation_link), "/s/nonsense/badge.svg"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.content == gone_pages["unknown"].content


@pytest.mark.parametrize(
    "change",
    [
        {"visibility": Visibility.ORGANISATION},
        {"visibility": Visibility.PRIVATE},
        {"archived_at": datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)},
    ],
    ids=["made internal", "made private", "archived"],
)
def test_a_mission_link_stops_when_the_mission_is_no_longer_shared(client, mission, change):
    link = link_to(mission)
    assert client.get(page_url(link)).status_code == 200

    # A queryset update, as archiving does: no signal, so the cached page is still there.
    Mission.objects.filter(pk=mission.pk).update(**change)

    assert client.get(page_url(link)).status_code == 404
    assert client.get(badge_url(link)).status_code == 404


def test_share_pages_send_privacy_headers_and_no_cookies(cast, client, login, mission):
    urls = [page_url(link_to(mission)), page_url(link_to(org=cast.org))]
    for visitor in (client, login(cast.admin)):  # a stranger, and someone logged in
        for url in urls:
            response = visitor.get(url)
            assert response.status_code == 200
            assert response["Referrer-Policy"] == "no-referrer"
            assert response["X-Robots-Tag"] == "noindex"
            assert "no-store" in response["Cache-Control"]
            assert not response.cookies, f"{url} set {list(response.cookies)}"
            assert "Cookie" not in response.get("Vary", "")
            assert "csrfmiddlewaretoken" not in response.text


def test_each_view_counts_with_a_single_update(client, mission):
    link = link_to(mission)
    client.get(page_url(link))
    with CaptureQueriesContext(connection) as captured:
        client.get(page_url(link))

    link.refresh_from_db()
    assert link.view_count == 2
    assert link.last_viewed_at == timezone.now()
    updates = [q["sql"] for q in captured if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    # Counted in the database, so two visitors at once both count.
    assert '"view_count" = "view_count" + 1' in updates[0]
    # On PostgreSQL the same statement commits without waiting for the disk.
    waits = "set_config('synchronous_commit', 'off', true)" not in updates[0]
    assert waits is (connection.vendor != "postgresql")


def test_a_head_request_is_not_a_view(client, mission):
    link = link_to(mission)
    assert client.head(page_url(link)).status_code == 200
    link.refresh_from_db()
    assert link.view_count == 0


def test_the_badge_shows_progress_and_status_and_can_be_embedded(client, mission):
    link = link_to(mission)

    response = client.get(badge_url(link))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert not response.cookies
    svg = ET.fromstring(response.content)  # noqa: S314 -- our own output
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    label = svg.get("aria-label")
    # Half way from 10 to 50 at 30; a straight path expects under a quarter by mid-June.
    assert label == "Zero waste by 2030: 50\N{NO-BREAK SPACE}% · on track"
    assert "style" not in response.text  # presentation attributes only
    link.refresh_from_db()
    assert link.view_count == 0  # an image on someone's site is not a visit


def test_a_badge_of_a_long_title_is_shortened(cast, client):
    mission = shareable_mission(cast.org, cast.admin, title="A" * 60)
    svg = ET.fromstring(client.get(badge_url(link_to(mission))).content)  # noqa: S314
    assert svg.get("aria-label", "").startswith("A" * 31 + "…: ")


def test_the_public_page_is_there_only_when_turned_on(cast, client, mission):
    url = reverse("public_page", args=["acme"])
    off = client.get(url)
    assert off.status_code == 404
    assert GONE in off.text

    cast.org.public_page = True
    cast.org.save()
    cache.clear()
    on = client.get(url)

    assert on.status_code == 200
    assert "Zero waste by 2030" in on.text
    assert on["Referrer-Policy"] == "no-referrer"
    assert "public" in on["Cache-Control"]
    assert not on.cookies


def test_the_public_page_is_not_an_org_scoped_page(cast, login, mission):
    """Its argument is not org_slug: the access middleware leaves it alone, and the URL
    walk of org-scoped pages does not expect it to refuse outsiders."""
    cast.org.public_page = True
    cast.org.save()
    response = login(cast.outsider).get(reverse("public_page", args=["acme"]))
    assert response.status_code == 200
    assert "org_slug" not in resolve("/p/acme/").route


# --- What never appears ---------------------------------------------------------------------

SECRETS = [
    "SECRET-PRIVATE-MISSION",
    "SECRET-INTERNAL-MISSION",
    "SECRET-ARCHIVED-MISSION",
    "SECRET-DRAFT-REPORT",
    "SECRET-STAKEHOLDER",
    "SECRET-CONTACT",
    "secret-contact@supplier.example",
    "SECRET-STAKEHOLDER-NOTES",
    "SECRET-COMMITMENT",
    "SECRET-IDEA",
    "SECRET-IDEA-DESCRIPTION",
    "SECRET-TEAM",
    "SECRET-BUDGET",
    "SECRET-SOURCE",
    "OTHER-ORG",
    "@acme.example",
    "@other.example",
    "Olive Outsider",
]
# Never on a share page. (A published report shared by link keeps its input metrics, but
# not the check-in comments or anyone's name.)
LIVE_PAGE_SECRETS = [
    "SECRET-NOTE",
    "SECRET-INPUT-METRIC",
    # The owners of the mission, its goals and metrics, and the check-ins' authors.
    "Acme Member",
    "Acme Owner",
    "Acme Viewer",
    "Acme Admin",
]


@pytest.fixture
def secrets_everywhere(cast, mission):
    """Private things around the shared mission, each carrying a marker string."""
    goal = mission.goals.get()
    goal.owner = cast.owner
    goal.save()
    measured(mission, cast.member, goal=goal, note="SECRET-NOTE about the baler", values=(5, 6))
    metric = mission.metrics.first()
    metric.source_note = "SECRET-SOURCE spreadsheet"
    metric.save()
    checkin_correct(
        metric.checkins.get(for_date=datetime.date(2026, 3, 1)),
        value=Decimal(31),
        author=cast.owner,
        confidence="at_risk",
        note="SECRET-NOTE on the correction",
    )
    measured(mission, cast.member, goal=goal, kind="input", name="SECRET-INPUT-METRIC hours")
    stakeholder = StakeholderFactory(
        organisation=cast.org,
        name="SECRET-STAKEHOLDER Ltd",
        contact_name="SECRET-CONTACT Smith",
        email="secret-contact@supplier.example",
        notes="SECRET-STAKEHOLDER-NOTES",
    )
    StakeholderLinkFactory(
        mission=mission, stakeholder=stakeholder, commitment="SECRET-COMMITMENT to 20 %"
    )
    IdeaFactory(
        mission=mission,
        title="SECRET-IDEA",
        description="SECRET-IDEA-DESCRIPTION",
        author=cast.viewer,
    )
    AlignmentFactory(mission=mission, team=TeamFactory(organisation=cast.org, name="SECRET-TEAM"))
    ResourceFactory(mission=mission, name="SECRET-BUDGET line")
    private = MissionFactory(
        organisation=cast.org, title="SECRET-PRIVATE-MISSION", visibility=Visibility.PRIVATE
    )
    measured(private, cast.admin, note="SECRET-PRIVATE-MISSION note")
    MissionFactory(
        organisation=cast.org,
        title="SECRET-INTERNAL-MISSION",
        visibility=Visibility.ORGANISATION,
    )
    shareable_mission(
        cast.org, cast.admin, title="SECRET-ARCHIVED-MISSION", archived_at=timezone.now()
    )
    Report.objects.create(
        organisation=cast.org,
        title="SECRET-DRAFT-REPORT",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
    )
    other = shareable_mission(cast.other_org, cast.outsider, title="OTHER-ORG mission")
    measured(other, cast.outsider, note="OTHER-ORG note")
    link_to(other)
    link_to(org=cast.other_org)
    cast.org.public_page = True
    cast.org.save()
    return mission


def test_no_share_page_shows_anything_private(cast, client, secrets_everywhere):
    mission = secrets_everywhere
    report = published_report(cast.org, cast.admin, [mission], title="Spring report")
    pages = {
        "mission": page_url(link_to(mission)),
        "badge": badge_url(link_to(mission)),
        "organisation": page_url(link_to(org=cast.org)),
        "public page": reverse("public_page", args=["acme"]),
        "report": page_url(link_to(report=report)),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        text = response.content.decode()
        assert "Zero waste by 2030" in text, name
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} on the {name} page"
        for secret in LIVE_PAGE_SECRETS:
            if name == "report" and secret == "SECRET-INPUT-METRIC":
                continue  # a published report's figures include its input metrics
            assert secret not in text, f"{secret!r} on the {name} page"


def test_a_link_of_one_organisation_never_shows_another(cast, client, secrets_everywhere):
    other_links = list(ShareLink.objects.filter(organisation=cast.other_org))
    assert len(other_links) == 2
    for link in other_links:
        link.issue_token()  # only digests are stored: new addresses to open them by
        link.save(update_fields=["token_hash"])
        text = client.get(page_url(link)).text
        assert "OTHER-ORG mission" in text
        assert "Other Co" in text
        assert "Zero waste" not in text
        assert "Acme" not in text


def test_the_page_data_carries_only_public_fields(cast, secrets_everywhere):
    """The templates get plain dicts: nothing to follow to an owner or a check-in."""
    today = datetime.date(2026, 6, 15)
    page = sharing.mission_page(secrets_everywhere, today)
    overview = sharing.organisation_page(cast.org, today)

    def values(data):
        if isinstance(data, dict):
            for value in data.values():
                yield from values(value)
        elif isinstance(data, list | tuple):
            for value in data:
                yield from values(value)
        else:
            yield data

    for data in (page, overview):
        found = list(values(data))
        assert "Zero waste by 2030" in found  # the data is there to look through
        for value in found:
            assert not hasattr(value, "_meta"), f"a model row in the page data: {value!r}"
            assert "SECRET" not in str(value)


# --- The cache ------------------------------------------------------------------------------


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(captured)


def test_the_second_visit_is_served_from_the_cache(client, mission):
    link = link_to(mission)

    first, uncached = queries(client, page_url(link))
    second, cached = queries(client, page_url(link))

    assert cached == 2  # the token lookup and the view count
    assert uncached > cached
    assert second.content == first.content
    link.refresh_from_db()
    assert link.view_count == 2  # cached visits count too


def test_a_report_link_is_served_from_the_cache_in_two_queries(cast, client, mission):
    link = link_to(report=published_report(cast.org, cast.admin, [mission]))

    first, uncached = queries(client, page_url(link))
    second, cached = queries(client, page_url(link))

    assert cached == 2  # the link with its report, and the view count
    assert uncached > cached
    assert second.content == first.content


def fields_of(instance):
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in instance.get_deferred_fields()
    }


@pytest.mark.parametrize("target", ["mission", "report", "organisation"])
def test_the_one_statement_lookup_loads_what_the_orm_would(cast, mission, target):
    report = published_report(cast.org, cast.admin, [mission])
    targets = {
        "mission": {"mission": mission},
        "report": {"report": report},
        "organisation": {"org": cast.org},
    }
    expires = timezone.now() + datetime.timedelta(days=3)
    link = link_to(**targets[target], label="For partners", expires_at=expires)

    found = public.active_link(link.token)

    expected = ShareLink.objects.select_related("organisation", "mission", "report").get(pk=link.pk)
    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.organisation) == fields_of(expected.organisation)
    for related in ("mission", "report"):
        if getattr(expected, related) is None:
            assert getattr(found, related) is None
        else:
            assert (
                fields_of(getattr(found, related)).items()
                <= fields_of(getattr(expected, related)).items()
            )
    if target == "report":
        assert found.report.get_deferred_fields() == {"snapshot"}
        with CaptureQueriesContext(connection) as read:
            assert found.report.snapshot == expected.report.snapshot
        assert len(read) == 1  # read only when asked for


def test_the_public_page_and_badge_are_served_from_the_cache(cast, client, mission):
    cast.org.public_page = True
    cast.org.save()
    link = link_to(mission)
    queries(client, reverse("public_page", args=["acme"]))
    queries(client, badge_url(link))

    assert queries(client, reverse("public_page", args=["acme"]))[1] == 1  # the organisation
    assert queries(client, badge_url(link))[1] == 1  # the token lookup


def test_a_new_check_in_changes_the_cached_page(cast, client, mission, committed):
    cast.org.public_page = True
    cast.org.save()
    link = link_to(mission)
    pages = [page_url(link), page_url(link_to(org=cast.org)), reverse("public_page", args=["acme"])]
    before = [client.get(url).text for url in pages]
    badge_before = client.get(badge_url(link)).text

    with committed():
        checkin_record(
            mission.metrics.get(),
            value=Decimal("46"),
            for_date=datetime.date(2026, 6, 1),
            author=cast.member,
            confidence="on_track",
        )

    after = [client.get(url).text for url in pages]
    assert "90\N{NO-BREAK SPACE}%" in after[0]  # (46 - 10) / (50 - 10)
    for old, new in zip(before, after, strict=True):
        assert old != new
    assert client.get(badge_url(link)).text != badge_before


def test_a_correction_changes_the_cached_page(cast, client, mission, committed):
    link = link_to(mission)
    client.get(page_url(link))
    latest = mission.metrics.get().checkins.get(for_date=datetime.date(2026, 3, 1))

    with committed():
        checkin_correct(latest, value=Decimal("42"), author=cast.member, confidence="on_track")

    assert "80\N{NO-BREAK SPACE}%" in client.get(page_url(link)).text


def test_a_mission_edit_changes_the_cached_page(cast, client, login, mission, committed):
    link = link_to(mission)
    assert "Zero waste by 2030" in client.get(page_url(link)).text

    with committed():
        mission.title = "Zero waste by 2029"
        mission.save()

    assert "Zero waste by 2029" in client.get(page_url(link)).text


def test_a_milestone_done_changes_the_cached_page(client, mission, committed):
    link = link_to(mission)
    assert "0</strong> of 1 met" in client.get(page_url(link)).text

    with committed():
        milestone = mission.milestones.get()
        milestone.done_on = datetime.date(2026, 6, 10)
        milestone.save()

    assert "1</strong> of 1 met" in client.get(page_url(link)).text


def test_a_publication_changes_the_version(cast, mission, committed):
    before = pagecache.version_of(cast.org.pk)
    with committed():
        published_report(cast.org, cast.admin, [mission])
    assert pagecache.version_of(cast.org.pk) != before


def test_revoking_and_creating_links_change_the_version(cast, mission, committed):
    versions = [pagecache.version_of(cast.org.pk)]
    with committed():
        link = link_to(mission)
    versions.append(pagecache.version_of(cast.org.pk))
    with committed():
        link.revoked_at = timezone.now()
        link.save()
    versions.append(pagecache.version_of(cast.org.pk))
    assert len(set(versions)) == 3


def test_a_change_in_one_organisation_leaves_anothers_cache(cast, mission, committed):
    other = pagecache.version_of(cast.other_org.pk)
    with committed():
        mission.save()
    assert pagecache.version_of(cast.other_org.pk) == other


def test_counting_a_view_does_not_invalidate(client, mission, committed):
    link = link_to(mission)
    version = pagecache.version_of(mission.organisation_id)
    with committed():
        client.get(page_url(link))
    assert pagecache.version_of(mission.organisation_id) == version


def test_an_evicted_version_does_not_bring_back_old_pages(cast):
    old = pagecache.version_of(cast.org.pk)
    cache.delete(f"share:version:{cast.org.pk}")
    pagecache.pages_changed(cast.org.pk)  # incr fails on a missing key: start afresh
    assert pagecache.version_of(cast.org.pk) not in (old, old + 1)


def test_an_organisation_recreated_under_the_same_id_never_gets_the_old_page(cast, client):
    """As after a fresh database with the cache left running: the same ids, new rows."""
    link = link_to(shareable_mission(cast.org, cast.admin, title="Before the reset"))
    assert "Before the reset" in client.get(page_url(link)).text

    # Queryset updates: no signal, exactly as if these rows were new and nothing had told
    # the cache.
    Organisation.objects.filter(pk=cast.org.pk).update(
        created_at=cast.org.created_at + datetime.timedelta(days=1)
    )
    Mission.objects.filter(pk=link.mission_id).update(title="After the reset")

    assert "After the reset" in client.get(page_url(link)).text


def test_a_cache_that_is_down_does_not_stop_the_page(client, mission, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(LocMemCache, "get", broken)
    monkeypatch.setattr(LocMemCache, "incr", broken)
    assert client.get(page_url(link_to(mission))).status_code == 200
    pagecache.pages_changed(mission.organisation_id)  # logs, never raises


def test_the_cache_is_shared_through_redis(cast, client, settings, mission, committed):
    # The Redis the run was given, if any; the prefix keeps parallel tests apart.
    require_service(bool(settings.REDIS_URL) and _reachable(settings.REDIS_URL), "Redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"share-tests-{uuid.uuid4()}",
        }
    }
    link = link_to(mission)
    queries(client, page_url(link))
    assert queries(client, page_url(link))[1] == 2

    with committed():
        checkin_record(
            mission.metrics.get(),
            value=Decimal("46"),
            for_date=datetime.date(2026, 6, 1),
            author=cast.member,
            confidence="on_track",
        )

    response, count = queries(client, page_url(link))
    assert "90\N{NO-BREAK SPACE}%" in response.text
    assert count > 2


# --- Query counts ---------------------------------------------------------------------------


def grow(mission, author, goals: int, metrics: int, checkins: int) -> None:
    for _ in range(goals):
        goal = GoalFactory(mission=mission)
        for _ in range(metrics):
            measured(mission, author, goal=goal, values=range(10, 10 + checkins))
        MilestoneFactory(mission=mission)
    measured(mission, author, loose=True, values=(12,))


def uncached_queries(client, url) -> int:
    cache.clear()
    return queries(client, url)[1]


def test_a_mission_page_makes_the_same_queries_however_much_data(cast, client):
    mission = shareable_mission(cast.org, cast.member)
    grow(mission, cast.member, goals=1, metrics=1, checkins=2)
    url = page_url(link_to(mission))
    before = uncached_queries(client, url)

    grow(mission, cast.member, goals=3, metrics=3, checkins=4)

    assert uncached_queries(client, url) == before == 7


def test_the_organisation_pages_make_the_same_queries_however_much_data(cast, client):
    cast.org.public_page = True
    cast.org.save()
    first = shareable_mission(cast.org, cast.member, title="First")
    grow(first, cast.member, goals=1, metrics=1, checkins=2)
    urls = [page_url(link_to(org=cast.org)), reverse("public_page", args=["acme"])]
    before = [uncached_queries(client, url) for url in urls]

    for n in range(3):
        grown = shareable_mission(cast.org, cast.member, title=f"More {n}")
        grow(grown, cast.member, goals=2, metrics=2, checkins=3)

    assert [uncached_queries(client, url) for url in urls] == before
