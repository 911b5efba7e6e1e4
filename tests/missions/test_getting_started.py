"""A new organisation's first steps: its overview asks for a first mission, shows its
drafts with what the health check still asks for, and each fix link lands on its field."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.services import checkin_record
from orgs.models import Stakeholder
from tests.factories import (
    AlignmentFactory,
    MetricFactory,
    MissionFactory,
    StakeholderFactory,
    TeamFactory,
)
from tests.html import parse
from tests.missions.test_missions import MISSION


def dashboard(client):
    return parse(client.get(reverse("reporting:dashboard", args=["acme"])).text)


def section(page, heading_id: str):
    found = [s for s in page.all("section") if s.get("aria-labelledby") == heading_id]
    return found[0] if found else None


def test_a_new_organisations_overview_leads_with_its_first_mission(cast, login):
    page = dashboard(login(cast.admin))

    first = section(page, "first-mission-heading")
    assert first is not None
    assert first.one("h2").text == "Create your first mission"
    links = {a.text: a["href"] for a in first.all("a")}
    assert links == {
        "Start from a template": "/o/acme/missions/templates/",
        "Start from a blank page": "/o/acme/missions/new/",
    }
    # My check-ins steps aside: nothing is due before there is a mission.
    assert page.one("div", "head-actions").all("a") == []


def test_members_who_cannot_create_missions_are_not_asked_to(cast, login):
    assert section(dashboard(login(cast.member)), "first-mission-heading") is None


@pytest.mark.parametrize("status", ["active", "draft"])
def test_once_there_is_a_mission_the_first_mission_card_goes(cast, login, status):
    MissionFactory(organisation=cast.org, status=status)
    assert section(dashboard(login(cast.admin)), "first-mission-heading") is None


def test_drafts_are_explained_with_their_health_check_and_can_be_made_active(
    cast, login, django_capture_on_commit_callbacks
):
    draft = MissionFactory(organisation=cast.org, title="Zero waste", status="draft")
    client = login(cast.admin)

    drafts = section(dashboard(client), "drafts-heading")

    assert drafts is not None
    assert "Drafts stay off this overview" in drafts.text
    items = [li.spoken for li in drafts.all("li")]
    assert "Nobody owns this mission. Choose an owner" in items
    ends = next(a for a in drafts.all("a") if a.text == "Set an end date")
    assert ends["href"] == "/o/acme/missions/zero-waste/edit/?focus=ends_on#id_ends_on"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("missions:activate", args=["acme", draft.slug]))

    assert response["Location"] == "/o/acme/"
    draft.refresh_from_db()
    assert draft.status == "active"
    assert draft.version == 2  # an edit like any other: a form opened before is out of date
    page = dashboard(client)
    assert "“Zero waste” is active: it shows on the overview now." in page.text
    # Until the first check-in its health check stays in view, with nothing to activate.
    starting = section(page, "drafts-heading")
    assert "Nobody owns this mission. Choose an owner" in [li.spoken for li in starting.all("li")]
    assert starting.all("button") == []
    assert "Zero waste" in section(page, "missions-heading").text


def test_after_the_first_check_in_only_drafts_are_shown(
    cast, login, django_capture_on_commit_callbacks
):
    mission = MissionFactory(organisation=cast.org, status="active")
    MissionFactory(organisation=cast.org, title="Zero waste", status="draft")
    page = dashboard(login(cast.admin))
    assert mission.title in section(page, "drafts-heading").text

    metric = MetricFactory(mission=mission, goal=None)
    # Committed: the overview, served from the cache, changes with the commit.
    with django_capture_on_commit_callbacks(execute=True):
        checkin_record(
            metric,
            value=Decimal(20),
            for_date=timezone.localdate(),
            author=cast.admin,
            confidence="on_track",
        )
    starting = section(dashboard(login(cast.admin)), "drafts-heading")
    assert "Zero waste" in starting.text
    assert mission.title not in starting.text


def test_only_those_who_may_edit_a_draft_see_it_or_make_it_active(cast, login):
    draft = MissionFactory(organisation=cast.org, title="Zero waste", status="draft")
    client = login(cast.member)

    assert section(dashboard(client), "drafts-heading") is None
    response = client.post(reverse("missions:activate", args=["acme", draft.slug]))

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_an_outsider_cannot_activate_anothers_draft(cast, login):
    draft = MissionFactory(organisation=cast.org, status="draft")
    response = login(cast.outsider).post(reverse("missions:activate", args=["acme", draft.slug]))
    assert response.status_code == 404


def test_activating_only_moves_a_draft(cast, login):
    paused = MissionFactory(organisation=cast.org, title="Paused one", status="paused")
    login(cast.admin).post(reverse("missions:activate", args=["acme", paused.slug]))
    paused.refresh_from_db()
    assert paused.status == "paused"


# --- The health check's words and links ---------------------------------------------------


def test_the_health_check_asks_for_the_end_date_by_its_name(cast, login):
    mission = MissionFactory(organisation=cast.org, owner=cast.admin)
    page = login(cast.admin).get(mission.get_absolute_url()).text
    assert "It has no end date (its “Ends on”), so nobody can tell when it should be done." in page
    assert "dated end state" not in page


@pytest.mark.parametrize(
    ("url", "field_id"),
    [
        ("missions:edit", "id_ends_on"),
        ("missions:alignment", "id_alignment-team"),
        ("missions:stakeholders", "id_stakeholder"),
    ],
)
def test_a_fix_link_focuses_the_field_it_names(cast, login, url, field_id):
    mission = MissionFactory(organisation=cast.org)
    TeamFactory(organisation=cast.org)
    StakeholderFactory(organisation=cast.org)
    field = field_id.removeprefix("id_").removeprefix("alignment-")
    page = parse(
        login(cast.admin).get(reverse(url, args=["acme", mission.slug]) + f"?focus={field}").text
    )
    focused = [
        element
        for tag in ("input", "select", "textarea")
        for element in page.all(tag)
        if "autofocus" in element.attrs
    ]
    assert [element["id"] for element in focused] == [field_id]


def test_an_unknown_focus_is_ignored(cast, login):
    mission = MissionFactory(organisation=cast.org)
    page = login(cast.admin).get(
        reverse("missions:edit", args=["acme", mission.slug]) + "?focus=__class__"
    )
    assert page.status_code == 200
    assert "autofocus" not in page.text


def test_align_a_lead_team_preselects_lead_until_there_is_one(cast, login):
    mission = MissionFactory(organisation=cast.org)
    team = TeamFactory(organisation=cast.org)
    client = login(cast.admin)
    tab = reverse("missions:alignment", args=["acme", mission.slug])

    role = parse(client.get(tab).text).one("select", name="alignment-role")
    assert [o["value"] for o in role.all("option") if "selected" in o.attrs] == ["lead"]

    AlignmentFactory(mission=mission, team=team, role="lead")
    role = parse(client.get(tab).text).one("select", name="alignment-role")
    assert [o["value"] for o in role.all("option") if "selected" in o.attrs] != ["lead"]


def test_each_flag_clears_as_soon_as_it_is_fixed(cast, login, django_capture_on_commit_callbacks):
    """The mission page is cached; each fix refreshes its stored counts and the page."""
    mission = MissionFactory(organisation=cast.org, title="Net zero")
    team = TeamFactory(organisation=cast.org)
    client = login(cast.admin)

    def flags() -> str:
        return parse(client.get(mission.get_absolute_url()).text).one("section", id="health").text

    committed = django_capture_on_commit_callbacks(execute=True)

    assert "No team leads it." in flags()
    with committed:
        aligned = client.post(
            reverse("missions:alignment_add", args=["acme", mission.slug]),
            {"alignment-team": team.slug, "alignment-role": "lead", "alignment-capacity": "40"},
        )
    assert aligned.status_code == 302, aligned.text[-3000:]
    assert "No team leads it." not in flags()

    assert "It has no end date" in flags()
    edit = reverse("missions:edit", args=["acme", mission.slug])
    mission.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            edit,
            MISSION | {"title": "Net zero", "owner": cast.admin.email, "version": mission.version},
        )
    mission.refresh_from_db()
    assert mission.ends_on == datetime.date(2030, 12, 31)
    assert "It has no end date" not in flags()
    assert "Nobody owns this mission." not in flags()

    assert "No stakeholders are linked" in flags()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("missions:stakeholder_add", args=["acme", mission.slug]),
            {"new-name": "Harbour Council", "new-kind": "community_partner"},
        )
    assert "No stakeholders are linked" not in flags()


# --- A stakeholder added from the mission's own tab ---------------------------------------


def test_an_empty_register_says_so_and_offers_to_add_one_here(cast, login):
    mission = MissionFactory(organisation=cast.org)
    page = login(cast.admin).get(reverse("missions:stakeholders", args=["acme", mission.slug]))
    assert "The register has no stakeholders yet. Add the first one below" in page.text
    assert "Every stakeholder in the register is linked already" not in page.text
    assert 'id="new-stakeholder" open' in page.text


def test_an_admin_adds_a_stakeholder_and_it_is_linked_at_once(cast, login):
    mission = MissionFactory(organisation=cast.org)
    response = login(cast.admin).post(
        reverse("missions:stakeholder_add", args=["acme", mission.slug]),
        {"new-name": "Harbour Council", "new-kind": "community_partner"},
        follow=True,
    )
    stakeholder = Stakeholder.objects.get(organisation=cast.org, name="Harbour Council")
    link = mission.stakeholder_links.get()
    assert link.stakeholder == stakeholder
    assert response.redirect_chain[-1][0].endswith(f"/stakeholders/#link-{link.uid}")
    assert "Harbour Council is in the register and linked to this mission." in response.text


def test_a_bad_new_stakeholder_is_refused_with_its_message_and_nothing_saved(cast, login):
    mission = MissionFactory(organisation=cast.org)
    StakeholderFactory(organisation=cast.org, name="Harbour Council")
    response = login(cast.admin).post(
        reverse("missions:stakeholder_add", args=["acme", mission.slug]),
        {"new-name": "harbour council", "new-kind": "community_partner"},
    )
    assert response.status_code == 400
    assert "The register already has a stakeholder with this name." in response.text
    assert 'id="new-stakeholder" open' in response.text
    assert not mission.stakeholder_links.exists()


def test_a_member_who_owns_the_mission_links_but_does_not_add_to_the_register(cast, login):
    mission = MissionFactory(organisation=cast.org, owner=cast.member)
    client = login(cast.member)
    page = client.get(reverse("missions:stakeholders", args=["acme", mission.slug])).text
    assert 'id="new-stakeholder"' not in page
    assert "Admins add new stakeholders" in page

    response = client.post(
        reverse("missions:stakeholder_add", args=["acme", mission.slug]),
        {"new-name": "Harbour Council", "new-kind": "community_partner"},
    )
    assert response.status_code == 403
    assert not Stakeholder.objects.filter(organisation=cast.org).exists()


def test_an_outsider_cannot_add_a_stakeholder_to_anothers_mission(cast, login):
    mission = MissionFactory(organisation=cast.org)
    response = login(cast.outsider).post(
        reverse("missions:stakeholder_add", args=["acme", mission.slug]),
        {"new-name": "Sneaky", "new-kind": "community_partner"},
    )
    assert response.status_code == 404
    assert not Stakeholder.objects.filter(name="Sneaky").exists()
