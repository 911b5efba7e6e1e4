import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from missions.alignment import Commitment, alignment_matrix, resource_groups
from missions.forms import AlignmentForm
from missions.models import Alignment, Mission, Resource
from orgs.models import Team
from tests.factories import (
    AlignmentFactory,
    GoalFactory,
    MembershipFactory,
    MissionFactory,
    ResourceFactory,
    TeamFactory,
)


@pytest.fixture
def mission(cast):
    return MissionFactory(organisation=cast.org, title="Zero Waste", slug="zero-waste")


@pytest.fixture
def team(cast):
    return TeamFactory(organisation=cast.org, name="Operations", slug="operations")


def url(name: str, mission: Mission, *args) -> str:
    return reverse(f"missions:{name}", args=["acme", mission.slug, *args])


def text(response) -> str:
    """The page as a reader sees it, with HTML escapes undone."""
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def fragment_id(response) -> str:
    """The id of the section an htmx response is; a whole page is no section."""
    match = re.match(r'\s*<section [^>]*\bid="([^"]+)"', response.text)
    return match.group(1) if match else ""


def align(client, mission: Mission, **data):
    fields = {"team": "operations", "role": "lead", "capacity": "40", "note": ""} | data
    return client.post(
        url("alignment_add", mission), {f"alignment-{k}": v for k, v in fields.items()}
    )


def add_resource(client, mission: Mission, **data):
    fields = {
        "kind": "budget",
        "name": "Bins",
        "amount": "5000",
        "currency": "GBP",
        "period": "one_off",
        "note": "",
    } | data
    return client.post(
        url("resource_add", mission), {f"resource-{k}": v for k, v in fields.items()}
    )


# --- Aligning teams -----------------------------------------------------------------------


def test_admin_aligns_a_team_as_lead(cast, login, mission, team):
    response = align(login(cast.admin), mission, note="Owns the bins")

    assert response.status_code == 302
    assert response["Location"] == url("alignment", mission) + "#teams"
    alignment = Alignment.objects.get(mission=mission)
    assert (alignment.team, alignment.role, alignment.capacity, alignment.note) == (
        team,
        "lead",
        40,
        "Owns the bins",
    )


def test_the_tab_shows_the_team_its_role_and_its_share(cast, login, mission, team):
    AlignmentFactory(mission=mission, team=team, role="lead", capacity=40)

    response = login(cast.viewer).get(url("alignment", mission))

    assert response.status_code == 200
    assert "Operations" in text(response)
    assert "40 % of its time" in text(response)
    assert 'class="capacity-fill" width="40"' in text(response)
    assert "Align a team" not in text(response)  # a viewer reads only


def test_the_mission_owner_who_is_a_member_can_align_a_team(cast, login, mission, team):
    Mission.objects.filter(pk=mission.pk).update(owner=cast.member)

    response = align(login(cast.member), mission)

    assert response.status_code == 302
    assert Alignment.objects.filter(mission=mission, team=team).exists()


@pytest.mark.parametrize("who", ["viewer", "member"])
def test_someone_who_is_not_admin_or_owner_gets_403_and_nothing_changes(
    cast, login, mission, team, who
):
    existing = AlignmentFactory(mission=mission, team=TeamFactory(organisation=cast.org))
    resource = ResourceFactory(mission=mission)
    client = login(getattr(cast, who))

    responses = [
        align(client, mission),
        add_resource(client, mission),
        client.get(url("alignment_edit", mission, existing.uid)),
        client.post(url("alignment_edit", mission, existing.uid), {"capacity": "90"}),
        client.post(url("alignment_remove", mission, existing.uid)),
        client.post(url("resource_edit", mission, resource.uid), {"name": "Mine"}),
        client.post(url("resource_remove", mission, resource.uid)),
    ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert "Only admins and the mission's owner can change it." in text(responses[0])
    assert list(Alignment.objects.filter(mission=mission)) == [existing]
    existing.refresh_from_db()
    assert existing.capacity == 20
    assert list(Resource.objects.filter(mission=mission)) == [resource]


def test_capacity_over_100_is_refused_with_a_clear_message(cast, login, mission, team):
    response = align(login(cast.admin), mission, capacity="101")

    assert response.status_code == 400
    assert "Enter a share of capacity from 0 to 100 % of the team's time" in text(response)
    assert not Alignment.objects.exists()


def test_a_negative_capacity_is_refused(cast, login, mission, team):
    response = align(login(cast.admin), mission, capacity="-5")

    assert response.status_code == 400
    assert "Enter a share of capacity from 0 to 100 %" in text(response)
    assert not Alignment.objects.exists()


def test_aligning_the_same_team_twice_is_refused_with_a_clear_message(cast, login, mission, team):
    AlignmentFactory(mission=mission, team=team, capacity=30)

    response = align(login(cast.admin), mission, capacity="50")

    assert response.status_code == 400
    assert "Operations is already aligned to this mission" in text(response)
    assert Alignment.objects.get(mission=mission).capacity == 30


def test_a_team_aligned_by_someone_else_a_moment_earlier_gets_a_message_not_a_500(
    cast, login, mission, team, monkeypatch
):
    AlignmentFactory(mission=mission, team=team, capacity=30)
    # As if the other request committed after this form checked for the team.
    monkeypatch.setattr(AlignmentForm, "clean_team", lambda form: form.cleaned_data["team"])

    response = align(login(cast.admin), mission)

    assert response.status_code == 400
    assert "Operations is already aligned to this mission." in text(response)
    assert Alignment.objects.get(mission=mission).capacity == 30


def test_a_team_from_another_organisation_cannot_be_chosen(cast, login, mission, team):
    TeamFactory(organisation=cast.other_org, name="Rivals", slug="rivals")
    client = login(cast.admin)

    page = client.get(url("alignment", mission))
    response = align(client, mission, team="rivals")

    assert "Rivals" not in text(page)
    assert response.status_code == 400
    assert "Choose one of the organisation's teams." in text(response)
    assert not Alignment.objects.exists()


def test_htmx_add_returns_only_the_teams_section(cast, login, mission, team):
    client = login(cast.admin)
    data = {"alignment-team": "operations", "alignment-role": "lead", "alignment-capacity": "40"}

    response = client.post(url("alignment_add", mission), data, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert fragment_id(response) == "teams"
    assert "<html" not in text(response)
    assert "Operations aligned as lead with 40 % of its time." in text(response)
    assert Alignment.objects.filter(mission=mission, team=team).exists()


def test_an_invalid_htmx_add_returns_the_section_with_the_message_as_422(
    cast, login, mission, team
):
    # 422 is the refusal status htmx is configured to swap in (base.html).
    response = login(cast.admin).post(
        url("alignment_add", mission),
        {"alignment-team": "operations", "alignment-role": "lead", "alignment-capacity": "150"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert fragment_id(response) == "teams"
    assert "Enter a share of capacity from 0 to 100 %" in text(response)
    assert not Alignment.objects.exists()


def test_admin_changes_a_share_on_the_edit_page(cast, login, mission, team):
    alignment = AlignmentFactory(mission=mission, team=team, capacity=20)
    client = login(cast.admin)

    page = client.get(url("alignment_edit", mission, alignment.uid))
    assert '<option value="operations" selected>' in page.text
    response = client.post(
        url("alignment_edit", mission, alignment.uid),
        {"team": "operations", "role": "contributor", "capacity": "60"},
    )

    assert response.status_code == 302
    alignment.refresh_from_db()
    assert alignment.capacity == 60


def test_an_edit_to_capacity_over_100_changes_nothing(cast, login, mission, team):
    alignment = AlignmentFactory(mission=mission, team=team, capacity=20)

    response = login(cast.admin).post(
        url("alignment_edit", mission, alignment.uid),
        {"team": "operations", "role": "contributor", "capacity": "250"},
    )

    assert response.status_code == 400
    assert "Operations on this mission" in text(response)
    alignment.refresh_from_db()
    assert alignment.capacity == 20


def test_admin_removes_a_team(cast, login, mission, team):
    alignment = AlignmentFactory(mission=mission, team=team)

    response = login(cast.admin).post(url("alignment_remove", mission, alignment.uid))

    assert response.status_code == 302
    assert not Alignment.objects.exists()
    assert Team.objects.filter(pk=team.pk).exists()


def test_an_alignment_of_another_mission_cannot_be_removed_through_this_one(
    cast, login, mission, team
):
    other = AlignmentFactory(mission=MissionFactory(organisation=cast.org), team=team)

    response = login(cast.admin).post(url("alignment_remove", mission, other.uid))

    assert response.status_code == 404
    assert Alignment.objects.filter(pk=other.pk).exists()


def test_the_tab_warns_when_a_team_is_over_committed_across_live_missions(
    cast, login, mission, team
):
    AlignmentFactory(mission=mission, team=team, capacity=70)
    AlignmentFactory(mission=MissionFactory(organisation=cast.org), team=team, capacity=50)
    archived = MissionFactory(organisation=cast.org, archived_at=timezone.now())
    quiet = TeamFactory(organisation=cast.org, name="Quiet")
    AlignmentFactory(mission=mission, team=quiet, capacity=60)
    AlignmentFactory(mission=archived, team=quiet, capacity=60)  # archived: not counted

    response = login(cast.viewer).get(url("alignment", mission))

    assert "Operations has promised 120 % of its time" in text(response)
    assert "Quiet has promised" not in text(response)


# --- Resources ----------------------------------------------------------------------------


def test_admin_adds_a_budget_with_a_currency_and_period(cast, login, mission):
    response = add_resource(
        login(cast.admin), mission, amount="1200.50", currency="eur", period="monthly"
    )

    assert response.status_code == 302
    assert response["Location"] == url("alignment", mission) + "#resources"
    budget = Resource.objects.get(mission=mission)
    assert (budget.kind, budget.amount, budget.currency, budget.period) == (
        "budget",
        Decimal("1200.50"),
        "EUR",
        "monthly",
    )


def test_a_negative_budget_is_refused_with_a_clear_message(cast, login, mission):
    response = add_resource(login(cast.admin), mission, amount="-10")

    assert response.status_code == 400
    assert "The amount can't be negative." in text(response)
    assert not Resource.objects.exists()


def test_a_budget_without_an_amount_is_refused(cast, login, mission):
    response = add_resource(login(cast.admin), mission, amount="")

    assert response.status_code == 400
    assert "A budget needs an amount" in text(response)
    assert not Resource.objects.exists()


def test_a_budget_needs_a_three_letter_currency(cast, login, mission):
    client = login(cast.admin)

    missing = add_resource(client, mission, currency="")
    wrong = add_resource(client, mission, currency="pounds")

    assert missing.status_code == wrong.status_code == 400
    assert "Give the currency of the amount" in text(missing)
    assert "Use a three-letter currency code" in text(wrong)
    assert not Resource.objects.exists()


def test_people_need_an_fte_amount(cast, login, mission):
    client = login(cast.admin)

    refused = add_resource(client, mission, kind="people", name="Analysts", amount="")
    accepted = add_resource(client, mission, kind="people", name="Analysts", amount="1.5")

    assert refused.status_code == 400
    assert "Give the people as full-time equivalents" in text(refused)
    assert accepted.status_code == 302
    people = Resource.objects.get(mission=mission)
    assert (people.amount, people.currency) == (Decimal("1.5"), "")


def test_technology_needs_no_amount(cast, login, mission):
    response = add_resource(login(cast.admin), mission, kind="technology", name="CRM", amount="")

    assert response.status_code == 302
    assert Resource.objects.get(mission=mission).amount is None


def test_htmx_resource_add_returns_only_the_resources_section(cast, login, mission):
    response = login(cast.admin).post(
        url("resource_add", mission),
        {
            "resource-kind": "budget",
            "resource-name": "Bins",
            "resource-amount": "5000",
            "resource-currency": "GBP",
            "resource-period": "one_off",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert fragment_id(response) == "resources"
    assert "Total: 5,000 GBP one-off" in text(response)


def test_the_tab_totals_budgets_per_currency_and_period_and_people_in_fte(cast, login, mission):
    ResourceFactory(mission=mission, amount=Decimal("5000"), currency="GBP")
    ResourceFactory(mission=mission, amount=Decimal("2500"), currency="GBP")
    ResourceFactory(mission=mission, amount=Decimal("100"), currency="EUR", period="monthly")
    ResourceFactory(mission=mission, kind="people", name="Engineers", amount=Decimal("2"))
    ResourceFactory(mission=mission, kind="people", name="Designer", amount=Decimal("0.5"))

    response = login(cast.viewer).get(url("alignment", mission))

    assert "Total: 100 EUR per month · 7,500 GBP one-off" in text(response)
    assert "Total: 2.50 FTE" in text(response)


def test_admin_edits_and_removes_a_resource(cast, login, mission):
    resource = ResourceFactory(mission=mission, name="Bins")
    client = login(cast.admin)
    edit = url("resource_edit", mission, resource.uid)

    budget = {"kind": "budget", "name": "Bins", "currency": "GBP", "period": "yearly"}

    assert client.get(edit).status_code == 200
    refused = client.post(edit, budget | {"amount": "-1"})
    saved = client.post(edit, budget | {"amount": "9000"})

    assert refused.status_code == 400
    assert saved.status_code == 302
    resource.refresh_from_db()
    assert (resource.amount, resource.period) == (Decimal("9000"), "yearly")

    client.post(url("resource_remove", mission, resource.uid))
    assert not Resource.objects.exists()


# --- The organisation's alignment page ----------------------------------------------------


def test_the_overview_shows_the_matrix_and_what_is_missing(cast, login):
    busy = TeamFactory(organisation=cast.org, name="Busy")
    steady = TeamFactory(organisation=cast.org, name="Steady")
    TeamFactory(organisation=cast.org, name="Idle")
    led = MissionFactory(organisation=cast.org, title="Led and funded")
    unled = MissionFactory(organisation=cast.org, title="Nobody leads")
    MissionFactory(organisation=cast.org, title="Old one", archived_at=timezone.now())
    AlignmentFactory(mission=led, team=busy, role="lead", capacity=80)
    AlignmentFactory(mission=unled, team=busy, capacity=40)
    AlignmentFactory(mission=unled, team=steady, capacity=50)
    ResourceFactory(mission=led)

    response = login(cast.viewer).get(reverse("missions:alignment_overview", args=["acme"]))

    assert response.status_code == 200
    matrix = response.context["matrix"]
    assert [m.title for m in matrix.missions] == ["Led and funded", "Nobody leads"]
    assert [row.team.name for row in matrix.over_committed] == ["Busy"]
    assert [m.title for m in matrix.missions_without_lead] == ["Nobody leads"]
    assert [m.title for m in matrix.missions_without_resources] == ["Nobody leads"]
    assert [t.name for t in matrix.unaligned_teams] == ["Idle"]
    assert "120 %" in text(response)
    assert "Over 100 %" in text(response)
    assert 'tabindex="0" role="region"' in text(response)
    assert "Old one" not in text(response)


def test_the_overview_hides_private_missions_but_counts_their_load(cast, login):
    team = TeamFactory(organisation=cast.org, name="Ops")
    secret = MissionFactory(organisation=cast.org, title="Secret plan", visibility="private")
    open_mission = MissionFactory(organisation=cast.org, title="Open plan")
    AlignmentFactory(mission=secret, team=team, capacity=70)
    AlignmentFactory(mission=open_mission, team=team, capacity=40)

    response = login(cast.member).get(reverse("missions:alignment_overview", args=["acme"]))

    assert "Secret plan" not in text(response)
    row = response.context["matrix"].rows[0]
    assert (row.total, row.not_shown, row.over_committed) == (110, 70, True)


def test_outsider_gets_404_on_the_overview(cast, login):
    response = login(cast.outsider).get(reverse("missions:alignment_overview", args=["acme"]))
    assert response.status_code == 404


# --- The matrix, without a database -------------------------------------------------------


def test_the_matrix_puts_each_commitment_in_its_column_and_totals_rows():
    teams = [Team(pk=1, name="A"), Team(pk=2, name="B")]
    missions = [Mission(pk=10, title="X"), Mission(pk=11, title="Y", lead_team_count=1)]
    commitments = [
        Commitment(team_id=1, mission_id=11, role="lead", capacity=60),
        Commitment(team_id=1, mission_id=99, role="contributor", capacity=50),  # not shown
    ]

    matrix = alignment_matrix(teams, missions, commitments, resourced_mission_ids={10})

    first, second = matrix.rows
    assert first.cells == [None, commitments[0]]
    assert (first.total, first.not_shown, first.over_committed) == (110, 50, True)
    assert (second.total, second.aligned) == (0, False)
    assert [m.pk for m in matrix.missions_without_lead] == [10]
    assert [m.pk for m in matrix.missions_without_resources] == [11]


def test_a_team_at_exactly_100_percent_is_not_over_committed():
    matrix = alignment_matrix(
        [Team(pk=1)], [Mission(pk=10)], [Commitment(1, 10, "lead", 100)], resourced_mission_ids=()
    )
    assert not matrix.rows[0].over_committed


def test_resource_groups_never_add_different_currencies_or_periods():
    groups = resource_groups(
        [
            Resource(kind="budget", name="a", amount=Decimal("10"), currency="GBP"),
            Resource(kind="budget", name="b", amount=Decimal("5"), currency="GBP", period="yearly"),
            Resource(kind="budget", name="c", amount=Decimal("7"), currency="EUR"),
            Resource(kind="technology", name="CRM", amount=None),
        ]
    )

    budget, technology = groups
    assert [(t.currency, t.period, t.amount) for t in budget.money] == [
        ("EUR", "one_off", Decimal("7")),
        ("GBP", "one_off", Decimal("10")),
        ("GBP", "yearly", Decimal("5")),
    ]
    assert (technology.money, technology.fte) == ([], None)


# --- Query counts -------------------------------------------------------------------------


def queries_for(client, address: str) -> int:
    client.get(address)  # the first visit also stores the current organisation in the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured)


def grow(org, mission: Mission, n: int) -> None:
    for _ in range(n):
        team = TeamFactory(organisation=org)
        other = MissionFactory(organisation=org, owner=MembershipFactory(organisation=org).user)
        AlignmentFactory(mission=mission, team=team, role="lead", capacity=60)
        AlignmentFactory(mission=other, team=team, capacity=50)
        ResourceFactory(mission=mission)
        ResourceFactory(mission=mission, kind="people", name="People", amount=Decimal("1"))
        ResourceFactory(mission=other, currency="EUR")


@pytest.mark.parametrize("who", ["admin", "member"])
def test_overview_query_count_does_not_grow(cast, login, mission, who, uncached):
    client = login(getattr(cast, who))
    address = reverse("missions:alignment_overview", args=["acme"])
    grow(cast.org, mission, 2)
    before = queries_for(client, address)

    grow(cast.org, mission, 10)

    assert queries_for(client, address) == before


@pytest.mark.parametrize("who", ["admin", "viewer"])
def test_tab_query_count_does_not_grow(cast, login, mission, who, uncached):
    client = login(getattr(cast, who))
    address = url("alignment", mission)
    grow(cast.org, mission, 2)
    before = queries_for(client, address)

    grow(cast.org, mission, 10)

    assert queries_for(client, address) == before


@pytest.mark.parametrize("who", ["admin", "member"])
def test_mission_list_query_count_does_not_grow(cast, login, mission, who, uncached):
    client = login(getattr(cast, who))
    address = reverse("missions:list", args=["acme"])
    grow(cast.org, mission, 2)
    before = queries_for(client, address)

    grow(cast.org, mission, 10)

    assert queries_for(client, address) == before


def test_the_overview_and_the_mission_list_show_a_change_at_once(
    cast, login, django_capture_on_commit_callbacks
):
    """Both are kept in the page cache; a change made since is on the very next request."""
    mission = MissionFactory(organisation=cast.org, title="Zero waste")
    team = TeamFactory(organisation=cast.org, name="Kitchen")
    client = login(cast.admin)
    overview = reverse("missions:alignment_overview", args=["acme"])
    missions = reverse("missions:list", args=["acme"])
    assert "Kitchen" in client.get(overview).text
    assert "0 goals" in client.get(missions).text

    with django_capture_on_commit_callbacks(execute=True):
        Alignment.objects.create(mission=mission, team=team, role="lead", capacity=40)
        GoalFactory(mission=mission)

    assert "40&nbsp;%" in client.get(overview).text
    assert "1 goal " in client.get(missions).text
