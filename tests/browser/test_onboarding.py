"""Onboarding in a real browser: sign up, verify the address, create an organisation,
invite a colleague, they join and switch organisations."""

import re
from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from orgs.models import Membership, Organisation, User
from orgs.roles import Role
from tests.mail_links import CONFIRM, link_path

pytestmark = pytest.mark.browser

PASSWORD = "Lantern-quarry-47-ribbon"
# The first password field; "Password confirmation" would match a plain "Password".
NEW_PASSWORD = re.compile(r"^Password:?$")
Shot = Callable[[Page, str], None]


def sign_up_form_fill(page: Page, *, confirmation: str = PASSWORD) -> None:
    page.get_by_label("Your name").fill("Orla Owner")
    page.get_by_label("Email address").fill("orla@harbour.example")
    page.get_by_label(NEW_PASSWORD).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(confirmation)


def invitation_path_from_outbox() -> str:
    """The path of the accept link in the last email; SITE_URL is not the live server."""
    assert mail.outbox, "no email was sent"
    return link_path(mail.outbox[-1], "/invitations/")


def org_slug(page: Page) -> str:
    match = re.fullmatch(r"/o/([^/]+)/", urlparse(page.url).path)
    assert match, f"not an organisation overview: {page.url}"
    return match.group(1)


def test_signup_with_mismatched_passwords_shows_the_error_beside_the_field(
    page: Page, shot: Shot
) -> None:
    page.goto("/")
    shot(page, "landing")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    sign_up_form_fill(page, confirmation="Something-else-entirely-9")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    confirmation = page.get_by_label("Password confirmation")
    expect(confirmation).to_have_attribute("aria-invalid", "true")
    # The error is tied to the field, so a screen reader announces it there.
    expect(confirmation).to_have_accessible_description(re.compile("same password each time"))
    # What was typed (apart from the passwords) is kept.
    expect(page.get_by_label("Your name")).to_have_value("Orla Owner")
    shot(page, "signup-error")
    assert not User.objects.exists()


def test_owner_signs_up_invites_a_colleague_who_joins_and_switches_organisations(
    page: Page, new_page: Callable[[], Page], shot: Shot, live_server, console_errors
) -> None:
    # 1. The owner signs up, opens the link emailed to them, and creates the organisation.
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    shot(page, "signup")
    sign_up_form_fill(page)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    shot(page, "check-your-email")
    page.goto(live_server.url + link_path(mail.outbox[-1], CONFIRM))
    shot(page, "confirm-address")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an organisation")
    page.get_by_label("Organisation name").fill("Harbour Bakery")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour Bakery")
    harbour = Organisation.objects.get(name="Harbour Bakery")
    assert org_slug(page) == harbour.slug
    shot(page, "overview")

    # 2. They invite a member from the People page.
    page.get_by_role("navigation", name="Harbour Bakery").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", level=1)).to_be_visible()
    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill("new.person@example.com")
    invite.get_by_label("Role").select_option(label="Member")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to new.person@example.com.")
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_role("listitem")).to_contain_text("new.person@example.com")
    expect(pending.get_by_role("listitem")).to_contain_text("Member")
    shot(page, "invited")
    invitation_url = live_server.url + invitation_path_from_outbox()

    # 3. The colleague opens the link in their own browser and creates their account.
    guest = new_page()
    guest.goto(invitation_url)
    expect(guest.get_by_role("heading", name="Join Harbour Bakery")).to_be_visible()
    expect(guest.get_by_label("Email address")).to_have_value("new.person@example.com")
    expect(guest.get_by_label("Email address")).to_be_disabled()
    shot(guest, "invitation")
    guest.get_by_label("Your name").fill("Nia Newperson")
    guest.get_by_label(NEW_PASSWORD).fill(PASSWORD)
    guest.get_by_label("Password confirmation").fill(PASSWORD)
    guest.get_by_role("button", name="Create account and join").click()
    expect(guest.get_by_role("status")).to_contain_text("You have joined Harbour Bakery.")
    # A member arrives to what they come for: their check-ins.
    expect(guest.get_by_role("heading", level=1)).to_have_text("My check-ins")
    expect(guest).to_have_url(re.compile(rf"/o/{harbour.slug}/my-check-ins/$"))
    membership = Membership.objects.get(organisation=harbour, user__email="new.person@example.com")
    assert membership.role == Role.MEMBER
    # The menu leaves out the managers' pages; the People page still opens for them.
    nav = guest.get_by_role("navigation", name="Harbour Bakery")
    expect(nav.get_by_role("link", name="People")).to_have_count(0)
    guest.goto(f"{live_server.url}/o/{harbour.slug}/members/")
    members = guest.get_by_role("table", name=re.compile("Members of Harbour Bakery"))
    expect(members).to_contain_text("Nia Newperson")
    expect(members).to_contain_text("Orla Owner")
    shot(guest, "people-as-member")

    # 4. They create a second organisation from the switcher, then switch back.
    guest.locator("summary", has_text="switch organisation").click()
    guest.get_by_role("link", name="+ New organisation").click()
    guest.get_by_label("Organisation name").fill("Nia's Side Project")
    shot(guest, "new-organisation")
    guest.get_by_role("button", name="Create organisation").click()
    expect(guest.get_by_role("heading", level=1)).to_have_text("Nia's Side Project")
    side_project = Organisation.objects.get(name="Nia's Side Project")
    assert org_slug(guest) == side_project.slug != harbour.slug
    shot(guest, "second-organisation")

    guest.locator("summary", has_text="switch organisation").click()
    switcher = guest.locator("details.switcher")
    shot(guest, "switcher-open")
    switcher.get_by_role("link", name=re.compile(r"^Harbour Bakery")).click()
    expect(guest.get_by_role("heading", level=1)).to_have_text("Harbour Bakery")
    assert org_slug(guest) == harbour.slug

    # 5. The link worked once: opening it again says so, without leaking anything.
    console_errors.allow(r"/invitations/.*status of 404")
    again = new_page()
    response = again.goto(invitation_url)
    assert response is not None and response.status == 404
    expect(again.get_by_role("heading", level=1)).to_have_text(
        "This invitation link no longer works"
    )
    expect(again.get_by_text("Harbour Bakery")).to_have_count(0)
    shot(again, "invitation-used")
