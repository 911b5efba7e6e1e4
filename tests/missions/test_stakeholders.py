import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from missions.models import StakeholderLink
from orgs.models import Stakeholder
from orgs.services import CONFIRMATIONS_PER_DAY_TO_ADDRESS, STAKEHOLDERS_PER_HOUR_BY_ACCOUNT
from tests.factories import MissionFactory, StakeholderFactory, StakeholderLinkFactory

REGISTER = reverse("missions:stakeholder_list", args=["acme"])


@pytest.fixture
def mission(cast):
    return MissionFactory(organisation=cast.org, title="Local Jobs", slug="local-jobs")


@pytest.fixture
def supplier(cast):
    return StakeholderFactory(
        organisation=cast.org,
        name="Brick & Mortar Ltd",
        kind="supplier",
        contact_name="Sam Supplier",
        email="sam@brick.example",
        consent_to_email=True,
    )


def tab_url(mission, *parts):
    return reverse("missions:stakeholders", args=["acme", mission.slug]) + "".join(parts)


def link_url(name, link):
    return reverse(f"missions:{name}", args=["acme", link.mission.slug, link.uid])


def queries_for(client, url: str) -> int:
    client.get(url)  # the first visit also stores the current organisation in the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# --- The register -----------------------------------------------------------------------


def test_viewer_reads_the_register_without_contact_details(cast, login, supplier):
    response = login(cast.viewer).get(REGISTER)
    assert response.status_code == 200
    assert "Brick &amp; Mortar Ltd" in response.text
    assert "sam@brick.example" not in response.text
    assert "Sam Supplier" not in response.text
    assert "Contact details are shown to members and up" in response.text
    assert "Add a stakeholder" not in response.text


def test_member_sees_contact_details_and_consent(cast, login, supplier):
    response = login(cast.member).get(REGISTER)
    assert "sam@brick.example" in response.text
    assert "Sam Supplier" in response.text
    assert "Consents to email" in response.text
    assert "Add a stakeholder" not in response.text


def test_register_groups_by_kind_with_missions_and_commitments(cast, login, mission, supplier):
    StakeholderFactory(organisation=cast.org, name="Camden Council", kind="public_body")
    StakeholderLinkFactory(
        mission=mission,
        stakeholder=supplier,
        interest="Local contracts",
        commitment="20 % of hires local by 2027",
        commitment_due_on=datetime.date(2027, 12, 31),
    )
    response = login(cast.viewer).get(REGISTER)
    text = response.text
    assert text.index("Supplier <span") < text.index("Public body <span")
    assert "Local Jobs" in text
    assert "20 % of hires local by 2027" in text
    assert "Not linked to a mission yet" in text  # the council


def test_register_filters_by_kind(cast, login, supplier):
    StakeholderFactory(organisation=cast.org, name="Camden Council", kind="public_body")
    client = login(cast.viewer)

    suppliers_only = client.get(REGISTER + "?kind=supplier").text
    assert "Brick &amp; Mortar Ltd" in suppliers_only
    assert "Camden Council" not in suppliers_only

    unknown_kind = client.get(REGISTER + "?kind=aliens").text
    assert "Camden Council" in unknown_kind and "Brick &amp; Mortar Ltd" in unknown_kind


def test_register_leaves_out_private_missions_a_member_cannot_see(cast, login, supplier):
    secret = MissionFactory(organisation=cast.org, title="Quiet Takeover", visibility="private")
    StakeholderLinkFactory(mission=secret, stakeholder=supplier)

    assert "Quiet Takeover" not in login(cast.member).get(REGISTER).text
    assert "Quiet Takeover" in login(cast.admin).get(REGISTER).text


def test_register_does_not_show_another_organisations_stakeholders(cast, login):
    StakeholderFactory(organisation=cast.other_org, name="Their Supplier")
    assert "Their Supplier" not in login(cast.admin).get(REGISTER).text


def test_admin_adds_a_stakeholder(cast, login):
    response = login(cast.admin).post(
        REGISTER,
        {
            "name": "  Kentish Town Food Bank ",
            "kind": "community_partner",
            "contact_name": "Kim",
            "email": "kim@foodbank.example",
            "consent_to_email": "on",
        },
    )
    stakeholder = Stakeholder.objects.get(organisation=cast.org)
    assert response.status_code == 302
    assert response["Location"] == f"{REGISTER}#s-{stakeholder.uid}"
    assert stakeholder.name == "Kentish Town Food Bank"
    assert stakeholder.consent_to_email


def test_a_duplicate_name_gets_a_clear_message(cast, login, supplier):
    response = login(cast.admin).post(REGISTER, {"name": "brick & mortar ltd", "kind": "customer"})
    assert response.status_code == 400
    assert "The register already has a stakeholder with this name" in response.text
    assert Stakeholder.objects.filter(organisation=cast.org).count() == 1


def test_the_same_name_is_fine_in_another_organisation(cast, login, supplier):
    StakeholderFactory(organisation=cast.other_org, name="Camden Council")
    login(cast.admin).post(REGISTER, {"name": "Camden Council", "kind": "public_body"})
    assert Stakeholder.objects.filter(organisation=cast.org, name="Camden Council").exists()


def test_consent_without_an_email_gets_a_clear_message(cast, login):
    response = login(cast.admin).post(
        REGISTER, {"name": "Anon Investor", "kind": "investor", "consent_to_email": "on"}
    )
    assert response.status_code == 400
    assert "Add an email address to record consent to email" in response.text
    assert not Stakeholder.objects.exists()


def test_the_database_refuses_consent_without_an_email(cast):
    with pytest.raises(IntegrityError):
        StakeholderFactory(organisation=cast.org, consent_to_email=True, email="")


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_add_stakeholders(cast, login, role):
    response = login(getattr(cast, role)).post(REGISTER, {"name": "Rogue", "kind": "customer"})
    assert response.status_code == 403
    assert not Stakeholder.objects.exists()


def test_admin_edits_a_stakeholder(cast, login, supplier):
    url = reverse("missions:stakeholder_edit", args=["acme", supplier.uid])
    client = login(cast.admin)
    assert client.get(url).status_code == 200

    response = client.post(
        url, {"name": "Brick and Mortar", "kind": "supplier", "email": "", "notes": "Since 2019"}
    )

    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.name, supplier.email, supplier.consent_to_email) == (
        "Brick and Mortar",
        "",
        False,
    )


def test_admin_chooses_how_often_a_stakeholder_gets_a_digest(cast, login, supplier):
    url = reverse("missions:stakeholder_edit", args=["acme", supplier.uid])
    data = {"name": supplier.name, "kind": "supplier", "email": "a@b.example"}
    login(cast.admin).post(url, data | {"consent_to_email": "on", "digest_frequency": "weekly"})
    supplier.refresh_from_db()
    assert supplier.digest_frequency == "weekly"

    login(cast.admin).post(url, data | {"digest_frequency": "fortnightly"})
    supplier.refresh_from_db()
    assert supplier.digest_frequency == "weekly"


def test_renaming_onto_another_stakeholders_name_is_refused(cast, login, supplier):
    StakeholderFactory(organisation=cast.org, name="Camden Council")
    url = reverse("missions:stakeholder_edit", args=["acme", supplier.uid])
    response = login(cast.admin).post(url, {"name": "CAMDEN COUNCIL", "kind": "supplier"})
    assert response.status_code == 400
    assert "The register already has a stakeholder with this name" in response.text
    supplier.refresh_from_db()
    assert supplier.name == "Brick & Mortar Ltd"


def test_a_supplier_with_commitments_cannot_change_kind(cast, login, mission, supplier):
    StakeholderLinkFactory(mission=mission, stakeholder=supplier, commitment="Local hires")
    url = reverse("missions:stakeholder_edit", args=["acme", supplier.uid])
    response = login(cast.admin).post(
        url, {"name": supplier.name, "kind": "customer", "email": supplier.email}
    )
    assert response.status_code == 400
    assert "Only suppliers carry commitments" in response.text
    supplier.refresh_from_db()
    assert supplier.kind == "supplier"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_open_the_edit_page(cast, login, supplier, role):
    url = reverse("missions:stakeholder_edit", args=["acme", supplier.uid])
    assert login(getattr(cast, role)).get(url).status_code == 403


def test_another_organisations_stakeholder_is_not_found(cast, login):
    theirs = StakeholderFactory(organisation=cast.other_org)
    url = reverse("missions:stakeholder_edit", args=["acme", theirs.uid])
    assert login(cast.admin).get(url).status_code == 404


# --- A mission's Stakeholders tab -------------------------------------------------------


def test_viewer_sees_linked_stakeholders_and_commitments(cast, login, mission, supplier):
    StakeholderLinkFactory(
        mission=mission,
        stakeholder=supplier,
        interest="Steady local contracts",
        commitment="20 % of hires local by 2027",
        commitment_due_on=datetime.date(2027, 12, 31),
    )
    response = login(cast.viewer).get(tab_url(mission))
    assert response.status_code == 200
    assert "Steady local contracts" in response.text
    assert "20 % of hires local by 2027" in response.text
    assert "due 31 Dec 2027" in response.text
    assert "Not met yet" in response.text
    assert "sam@brick.example" not in response.text
    assert "Link a stakeholder" not in response.text
    assert "Unlink" not in response.text


def test_member_sees_contacts_on_the_tab_but_cannot_link(cast, login, mission, supplier):
    StakeholderLinkFactory(mission=mission, stakeholder=supplier)
    response = login(cast.member).get(tab_url(mission))
    assert "Sam Supplier" in response.text
    assert "sam@brick.example" in response.text
    assert "Link a stakeholder" not in response.text


@time_machine.travel(datetime.date(2028, 2, 1))
def test_an_overdue_unmet_commitment_says_slipped(cast, login, mission, supplier):
    StakeholderLinkFactory(
        mission=mission,
        stakeholder=supplier,
        commitment="20 % of hires local by 2027",
        commitment_due_on=datetime.date(2027, 12, 31),
    )
    response = login(cast.viewer).get(tab_url(mission))
    assert "Slipped" in response.text
    assert "was due 31 Dec 2027, not met" in response.text


@time_machine.travel(datetime.date(2028, 2, 1))
def test_a_met_commitment_is_not_slipped(cast, login, mission, supplier):
    StakeholderLinkFactory(
        mission=mission,
        stakeholder=supplier,
        commitment="20 % of hires local by 2027",
        commitment_due_on=datetime.date(2027, 12, 31),
        commitment_met_on=datetime.date(2027, 11, 1),
    )
    response = login(cast.viewer).get(tab_url(mission))
    assert "Slipped" not in response.text
    assert "on 1 Nov 2027" in response.text


def test_admin_links_a_supplier_with_a_commitment(cast, login, mission, supplier):
    response = login(cast.admin).post(
        tab_url(mission),
        {
            "stakeholder": str(supplier.uid),
            "interest": "Local contracts",
            "commitment": "20 % of hires local by 2027",
            "commitment_due_on": "2027-12-31",
        },
    )
    link = StakeholderLink.objects.get(mission=mission)
    assert response.status_code == 302
    assert response["Location"] == tab_url(mission, f"#link-{link.uid}")
    assert (link.stakeholder, link.commitment, link.commitment_due_on) == (
        supplier,
        "20 % of hires local by 2027",
        datetime.date(2027, 12, 31),
    )


def test_htmx_linking_swaps_the_section_in_place(cast, login, mission, supplier):
    response = login(cast.admin).post(
        tab_url(mission), {"stakeholder": str(supplier.uid)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="grid-2" id="stakeholder-links">')
    assert "<html" not in response.text
    assert "Brick &amp; Mortar Ltd" in response.text
    assert "Every stakeholder in the register is linked already. Add a new one below." in (
        response.text
    )
    assert StakeholderLink.objects.filter(mission=mission, stakeholder=supplier).exists()


def test_htmx_linking_with_bad_input_answers_422_with_the_errors(cast, login, mission):
    response = login(cast.admin).post(
        tab_url(mission), {"stakeholder": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "<html" not in response.text
    assert "This field is required" in response.text


def test_the_select_offers_only_this_organisations_unlinked_stakeholders(
    cast, login, mission, supplier
):
    linked = StakeholderLinkFactory(mission=mission).stakeholder
    theirs = StakeholderFactory(organisation=cast.other_org)
    response = login(cast.admin).get(tab_url(mission))
    assert f'value="{supplier.uid}"' in response.text
    assert f'value="{linked.uid}"' not in response.text
    assert f'value="{theirs.uid}"' not in response.text


def test_another_organisations_stakeholder_cannot_be_linked(cast, login, mission):
    theirs = StakeholderFactory(organisation=cast.other_org)
    response = login(cast.admin).post(tab_url(mission), {"stakeholder": str(theirs.uid)})
    assert response.status_code == 400
    assert "Choose a stakeholder from the register who is not linked yet" in response.text
    assert not StakeholderLink.objects.exists()


def test_linking_the_same_stakeholder_twice_gets_a_clear_message(cast, login, mission, supplier):
    StakeholderLinkFactory(mission=mission, stakeholder=supplier)
    response = login(cast.admin).post(tab_url(mission), {"stakeholder": str(supplier.uid)})
    assert response.status_code == 400
    assert "Choose a stakeholder from the register who is not linked yet" in response.text
    assert StakeholderLink.objects.count() == 1


def test_only_a_supplier_can_carry_a_commitment(cast, login, mission):
    customer = StakeholderFactory(organisation=cast.org, name="Corner Cafe", kind="customer")
    response = login(cast.admin).post(
        tab_url(mission), {"stakeholder": str(customer.uid), "commitment": "Buy local"}
    )
    assert response.status_code == 400
    assert "Only suppliers carry commitments, and Corner Cafe is a customer" in response.text
    assert not StakeholderLink.objects.exists()


def test_a_commitment_date_needs_a_commitment(cast, login, mission, supplier):
    response = login(cast.admin).post(
        tab_url(mission), {"stakeholder": str(supplier.uid), "commitment_due_on": "2027-01-01"}
    )
    assert response.status_code == 400
    assert "Say what the commitment is" in response.text
    assert not StakeholderLink.objects.exists()


def test_the_mission_owner_links_stakeholders(cast, login, supplier):
    owned = MissionFactory(organisation=cast.org, owner=cast.member)
    response = login(cast.member).post(tab_url(owned), {"stakeholder": str(supplier.uid)})
    assert response.status_code == 302
    assert StakeholderLink.objects.filter(mission=owned).exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_others_cannot_link_stakeholders(cast, login, mission, supplier, role):
    response = login(getattr(cast, role)).post(tab_url(mission), {"stakeholder": str(supplier.uid)})
    assert response.status_code == 403
    assert not StakeholderLink.objects.exists()


def test_a_private_mission_tab_is_not_found_for_a_member(cast, login):
    secret = MissionFactory(organisation=cast.org, visibility="private")
    assert login(cast.member).get(tab_url(secret)).status_code == 404


def test_admin_edits_a_link_and_records_the_commitment_met(cast, login, mission, supplier):
    link = StakeholderLinkFactory(mission=mission, stakeholder=supplier)
    client = login(cast.admin)
    assert client.get(link_url("stakeholder_link_edit", link)).status_code == 200

    response = client.post(
        link_url("stakeholder_link_edit", link),
        {
            "interest": "Wants a fair deal",
            "commitment": "Living wage for all staff",
            "commitment_due_on": "2026-06-30",
            "commitment_met_on": "2026-03-01",
        },
    )

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.interest == "Wants a fair deal"
    assert link.commitment_met_on == datetime.date(2026, 3, 1)


@time_machine.travel(datetime.date(2026, 3, 1))
def test_a_commitment_cannot_be_met_in_the_future(cast, login, mission, supplier):
    link = StakeholderLinkFactory(mission=mission, stakeholder=supplier, commitment="Local hires")
    response = login(cast.admin).post(
        link_url("stakeholder_link_edit", link),
        {"commitment": "Local hires", "commitment_met_on": "2026-03-02"},
    )
    assert response.status_code == 400
    assert "Choose a date between 1 Jan 2000 and today." in response.text
    link.refresh_from_db()
    assert link.commitment_met_on is None


def test_editing_a_customer_link_refuses_a_commitment(cast, login, mission):
    link = StakeholderLinkFactory(mission=mission)  # a customer
    response = login(cast.admin).post(
        link_url("stakeholder_link_edit", link), {"interest": "x", "commitment": "Buy more"}
    )
    assert response.status_code == 400
    assert "Only suppliers carry commitments" in response.text
    link.refresh_from_db()
    assert (link.interest, link.commitment) == ("Wants it to work", "")


def test_a_viewer_cannot_edit_a_link(cast, login, mission):
    link = StakeholderLinkFactory(mission=mission)
    client = login(cast.viewer)
    assert client.get(link_url("stakeholder_link_edit", link)).status_code == 403
    response = client.post(link_url("stakeholder_link_edit", link), {"interest": "Hijacked"})
    assert response.status_code == 403
    link.refresh_from_db()
    assert link.interest == "Wants it to work"


def test_a_link_of_another_mission_is_not_found_under_this_one(cast, login, mission):
    elsewhere = StakeholderLinkFactory(mission=MissionFactory(organisation=cast.org))
    url = reverse("missions:stakeholder_link_edit", args=["acme", mission.slug, elsewhere.uid])
    assert login(cast.admin).get(url).status_code == 404


@time_machine.travel(datetime.date(2026, 5, 4))
def test_admin_marks_a_commitment_met_and_not_met(cast, login, mission, supplier):
    link = StakeholderLinkFactory(mission=mission, stakeholder=supplier, commitment="Local hires")
    client = login(cast.admin)

    client.post(link_url("stakeholder_link_met", link), {"met": "1"})
    link.refresh_from_db()
    assert link.commitment_met_on == datetime.date(2026, 5, 4)

    response = client.post(link_url("stakeholder_link_met", link), {"met": "0"}, follow=True)
    link.refresh_from_db()
    assert link.commitment_met_on is None
    assert "marked not met yet" in response.text


def test_marking_met_without_a_commitment_gets_a_clear_message(cast, login, mission):
    link = StakeholderLinkFactory(mission=mission)
    response = login(cast.admin).post(
        link_url("stakeholder_link_met", link), {"met": "1"}, follow=True
    )
    assert "has no commitment on this mission to mark" in response.text
    link.refresh_from_db()
    assert link.commitment_met_on is None


def test_a_viewer_cannot_mark_a_commitment_met(cast, login, mission, supplier):
    link = StakeholderLinkFactory(mission=mission, stakeholder=supplier, commitment="Local hires")
    response = login(cast.viewer).post(link_url("stakeholder_link_met", link), {"met": "1"})
    assert response.status_code == 403
    link.refresh_from_db()
    assert link.commitment_met_on is None


def test_admin_unlinks_a_stakeholder_who_stays_in_the_register(cast, login, mission, supplier):
    link = StakeholderLinkFactory(mission=mission, stakeholder=supplier)
    response = login(cast.admin).post(link_url("stakeholder_link_remove", link), follow=True)
    assert "is no longer linked to this mission" in response.text
    assert not StakeholderLink.objects.exists()
    assert Stakeholder.objects.filter(pk=supplier.pk).exists()


def test_unlinking_needs_a_post_and_an_editor(cast, login, mission):
    link = StakeholderLinkFactory(mission=mission)
    assert login(cast.admin).get(link_url("stakeholder_link_remove", link)).status_code == 405
    assert login(cast.member).post(link_url("stakeholder_link_remove", link)).status_code == 403
    assert StakeholderLink.objects.exists()


# --- Query counts -----------------------------------------------------------------------


def grow(org, mission, n: int) -> None:
    for _ in range(n):
        supplier = StakeholderFactory(organisation=org, kind="supplier", email="a@b.example")
        StakeholderLinkFactory(mission=mission, stakeholder=supplier, commitment="Local hires")
        StakeholderLinkFactory(
            mission=MissionFactory(organisation=org, visibility="private"), stakeholder=supplier
        )
        StakeholderFactory(organisation=org, kind="funder")


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_register_query_count_does_not_grow(cast, login, mission, role):
    client = login(getattr(cast, role))
    grow(cast.org, mission, 2)
    before = queries_for(client, REGISTER)

    grow(cast.org, mission, 10)

    assert queries_for(client, REGISTER) == before


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_stakeholders_tab_query_count_does_not_grow(cast, login, mission, role):
    client = login(getattr(cast, role))
    grow(cast.org, mission, 2)
    before = queries_for(client, tab_url(mission))

    grow(cast.org, mission, 10)

    assert queries_for(client, tab_url(mission)) == before


# --- Digests only after the stakeholder confirms by email (issue 17, finding 8) -------------


@pytest.fixture
def add(django_capture_on_commit_callbacks):
    """Adds a stakeholder through the register's form, with the confirmation email the
    save enqueues (at commit) sent."""

    def post(client, name: str, email: str, consent: bool = True):
        data = {"name": name, "kind": "customer", "email": email}
        if consent:
            data["consent_to_email"] = "on"
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(REGISTER, data)

    return post


def confirmation_link(message) -> str:
    found = re.search(r"http://[^/]+(/stakeholders/confirm/[^/\s]+/)", message.body)
    assert found, message.body
    return found[1]


def test_ticking_consent_emails_the_stakeholder_to_confirm(cast, login, client, add):
    response = add(login(cast.admin), "Food Bank", "kim@foodbank.example")

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["kim@foodbank.example"]
    assert message.subject == "Acme Missions: please confirm you want progress updates"
    stakeholder = Stakeholder.objects.get(name="Food Bank")
    assert stakeholder.awaits_confirmation
    page = login(cast.admin).get(REGISTER).text
    assert "awaiting confirmation" in page

    link = confirmation_link(message)
    client.logout()
    assert "Yes, send me updates" in client.get(link).text
    stakeholder.refresh_from_db()
    assert stakeholder.awaits_confirmation  # a link scanner's GET confirms nothing
    assert "Thank you" in client.post(link).text

    stakeholder.refresh_from_db()
    assert stakeholder.email_confirmed_at is not None
    assert "Consents to email, confirmed" in login(cast.admin).get(REGISTER).text


def test_no_confirmation_is_asked_without_consent(cast, login, add):
    add(login(cast.admin), "Quiet", "quiet@example.com", consent=False)
    assert mail.outbox == []


def test_a_new_address_must_be_confirmed_again(
    cast, login, supplier, django_capture_on_commit_callbacks
):
    assert not supplier.awaits_confirmation  # the fixture's supplier has confirmed
    with django_capture_on_commit_callbacks(execute=True):
        login(cast.admin).post(
            reverse("missions:stakeholder_edit", args=["acme", supplier.uid]),
            {
                "name": supplier.name,
                "kind": "supplier",
                "email": "someone-else@brick.example",
                "consent_to_email": "on",
            },
        )
    supplier.refresh_from_db()
    assert supplier.awaits_confirmation
    assert [m.to for m in mail.outbox] == [["someone-else@brick.example"]]


def test_a_link_for_an_old_address_confirms_nothing(cast, login, client, add):
    add(login(cast.admin), "Food Bank", "kim@foodbank.example")
    link = confirmation_link(mail.outbox[0])
    stakeholder = Stakeholder.objects.get(name="Food Bank")
    Stakeholder.objects.filter(pk=stakeholder.pk).update(email="other@foodbank.example")

    response = client.post(link)

    assert "Nothing to confirm" in response.text
    stakeholder.refresh_from_db()
    assert stakeholder.email_confirmed_at is None


def test_a_forged_or_old_link_is_refused(cast, login, client, add):
    with time_machine.travel("2026-03-01 09:00Z"):
        add(login(cast.admin), "Food Bank", "kim@foodbank.example")
    link = confirmation_link(mail.outbox[0])
    assert client.post(link[:-3] + "xx/").status_code == 400
    with time_machine.travel("2026-03-16 09:01Z"):
        assert client.post(link).status_code == 400
    assert Stakeholder.objects.get(name="Food Bank").email_confirmed_at is None


def test_an_address_is_asked_at_most_three_times_a_day(cast, login, add):
    client = login(cast.admin)
    for n in range(5):
        add(client, f"Target {n}", "victim@example.com")
    assert len(mail.outbox) == CONFIRMATIONS_PER_DAY_TO_ADDRESS
    page = client.get(REGISTER).text
    assert "not asked yet" in page


def test_one_account_adds_at_most_30_stakeholders_an_hour(cast, login, add):
    client = login(cast.admin)
    answers = [
        add(client, f"S{n}", "", consent=False).status_code
        for n in range(STAKEHOLDERS_PER_HOUR_BY_ACCOUNT + 2)
    ]
    assert answers == [302] * STAKEHOLDERS_PER_HOUR_BY_ACCOUNT + [400, 400]
    refused = add(client, "One more", "", consent=False)
    assert "stakeholders in the last hour" in refused.text
    assert Stakeholder.objects.filter(organisation=cast.org).count() == (
        STAKEHOLDERS_PER_HOUR_BY_ACCOUNT
    )
