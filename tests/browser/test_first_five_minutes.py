"""The "Done when" of issue 16, in one real browser: a founder signs up, creates a mission
from a template, gives a metric to a colleague they invite, and that colleague, on a
phone, joins, sees their due check-in and checks in from the link in the reminder email.
No step may be a dead end: each is reached by what the page before it offers."""

import re
from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics.models import CheckIn, Metric
from missions.models import Mission
from orgs.models import User
from reporting.tasks import sweep_reminders
from tests.browser.conftest import PHONE
from tests.mail_links import CONFIRM, SITE_URL, link_path

pytestmark = pytest.mark.browser

FOUNDER = "greenloop@greenloop.example"
COLLEAGUE = "sam@greenloop.example"
PASSWORD = "Lantern-quarry-47-ribbon"
NEW_PASSWORD = re.compile(r"^Password:?$")
TEMPLATE = "Net zero operations"
Shot = Callable[[Page, str], None]


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def reminder_link(message) -> str:
    """The link the reminder offers for checking in, whatever form it takes (the page of
    one metric, signed or not): the first of ours that is not about the email itself or
    the list of everything."""
    links = re.findall(re.escape(SITE_URL) + r"/\S+", message.body)
    chosen = [
        link for link in links if not re.search(r"unsubscribe|preferences|/my-check-ins/$", link)
    ]
    assert chosen, f"no check-in link in:\n{message.body}"
    return chosen[0].removeprefix(SITE_URL)


def test_a_founder_starts_and_a_colleague_checks_in_from_the_reminder_on_a_phone(
    page: Page, new_page: Callable[[], Page], shot: Shot, live_server
) -> None:
    # 1. The founder signs up: the name first, and a password unlike their address.
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Your name").fill("Gwen Greenloop")
    page.get_by_label("Email address").fill(FOUNDER)
    page.get_by_label(NEW_PASSWORD).fill("Greenloop-2026!")
    page.get_by_label("Password confirmation").fill("Greenloop-2026!")
    page.get_by_role("button", name="Create account").click()
    # Refused, with the reason under the password; what was typed is kept.
    password = page.get_by_label(NEW_PASSWORD)
    expect(password).to_have_accessible_description(re.compile("too close to your email"))
    expect(page.get_by_label("Your name")).to_have_value("Gwen Greenloop")
    expect(page.get_by_label("Email address")).to_have_value(FOUNDER)
    shot(page, "signup-refused")
    password.fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.goto(live_server.url + link_path(sent_to(FOUNDER)[-1], CONFIRM))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Organisation name").fill("Greenloop")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Greenloop")
    slug = urlparse(page.url).path.split("/")[2]

    # 2. The new organisation's overview leads with its first mission.
    first = page.get_by_role("region", name="Create your first mission")
    expect(first).to_be_visible()
    shot(page, "overview-new")
    first.get_by_role("link", name="Start from a template").click()
    page.get_by_role("link", name=TEMPLATE, exact=True).click()
    page.get_by_role("button", name="Create a draft mission").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TEMPLATE)
    mission = Mission.objects.get(organisation__slug=slug)
    shot(page, "mission-drafted")

    # 3. They invite a colleague from the People page.
    nav = page.get_by_role("navigation", name="Greenloop")
    nav.get_by_role("link", name="People").click()
    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill(COLLEAGUE)
    invite.get_by_label("Role").select_option(label="Member")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation sent to {COLLEAGUE}.")).to_be_visible()
    shot(page, "invited")

    # 4. ... and give them a metric before they have joined, due today.
    metric = Metric.objects.filter(mission=mission).order_by("goal__position", "position")[0]
    nav.get_by_role("link", name="Missions").click()
    page.get_by_role("link", name=TEMPLATE, exact=True).click()
    page.get_by_role("link", name=metric.name, exact=True).first.click()
    page.get_by_role("link", name="Edit metric").click()
    owner = page.get_by_label("Owner")
    owner.select_option(label=f"{COLLEAGUE} (invited)")
    today = timezone.localdate()
    page.get_by_label("First check-in due").fill(today.isoformat())
    shot(page, "metric-given")
    page.get_by_role("button", name=re.compile(r"^Save")).click()
    expect(page.get_by_text(f"Owner: {COLLEAGUE} (invited)")).to_be_visible()
    metric.refresh_from_db()
    assert metric.owner is None and metric.owner_invitation.email == COLLEAGUE

    # 5. The draft is made active from the overview, where drafts are explained.
    nav.get_by_role("link", name="Overview").click()
    drafts = page.get_by_role("region", name="Getting started")
    expect(drafts).to_contain_text("Drafts stay off this overview")
    shot(page, "overview-draft")
    drafts.get_by_role("button", name=f"Make “{TEMPLATE}” active").click()
    expect(page.get_by_text(f"“{TEMPLATE}” is active")).to_be_visible()
    # Until the first check-in, what its health check asks for stays in view.
    expect(drafts).to_contain_text("No team leads it.")
    expect(drafts.get_by_role("button")).to_have_count(0)
    shot(page, "overview-active")

    # 6. The colleague opens the invitation on a phone and joins: they arrive to their
    # check-ins, the metric given to them already theirs and due today.
    phone = new_page()
    phone.set_viewport_size(PHONE)
    invitation = link_path(sent_to(COLLEAGUE)[-1], "/invitations/")
    phone.goto(live_server.url + invitation)
    expect(phone.get_by_role("heading", name="Join Greenloop")).to_be_visible()
    shot(phone, "invitation")
    phone.get_by_label("Your name").fill("Sam Sorter")
    phone.get_by_label(NEW_PASSWORD).fill(PASSWORD)
    phone.get_by_label("Password confirmation").fill(PASSWORD)
    phone.get_by_role("button", name="Create account and join").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("My check-ins")
    expect(phone.get_by_text("You have joined Greenloop.")).to_be_visible()
    row = phone.locator(f"#checkin-{metric.uid}")
    expect(row).to_contain_text("Due today")
    shot(phone, "my-checkins")
    sam = User.objects.get(email=COLLEAGUE)
    metric.refresh_from_db()
    assert metric.owner == sam
    # The bar scrolls away on a phone, and the menu holds what a member uses.
    assert phone.evaluate("getComputedStyle(document.querySelector('.topbar')).position") == (
        "static"
    )
    phone_nav = phone.get_by_role("navigation", name="Greenloop")
    expect(phone_nav.get_by_role("link")).to_have_text(
        ["Overview", "My check-ins", "Missions", "Reports", "Map"]
    )

    # 7. The reminder comes by email; its link opens the check-in, and one tap records it.
    sweep_reminders()
    reminders = [m for m in sent_to(COLLEAGUE) if "/invitations/" not in m.body]
    assert len(reminders) == 1, [m.subject for m in sent_to(COLLEAGUE)]
    phone.goto(live_server.url + reminder_link(reminders[0]))
    expect(phone.get_by_role("heading", level=1)).to_contain_text(metric.name)
    shot(phone, "reminder-link")
    # A number to give (the one-metric page may offer the last value already).
    value = phone.get_by_label(re.compile(r"^Value"))
    if value.count():
        if value.evaluate("element => element.tagName") == "SELECT":
            value.select_option(index=1)
        else:
            value.fill("42")
    phone.get_by_role("button", name=re.compile(r"^Check in")).first.click()
    # Back on their check-ins, which say so, and the row is done until it is next due.
    expect(phone.locator("#messages")).to_contain_text("Checked in 42")
    expect(phone.locator(f"#checkin-{metric.uid}")).to_contain_text(
        re.compile(r"Checked in .* today")
    )
    expect(phone.get_by_role("heading", level=1)).to_have_text("My check-ins")
    shot(phone, "checked-in")
    checkin = CheckIn.objects.get(metric=metric)
    assert checkin.author == sam
