"""Checking in from a real reminder email's link, on a phone: signed out (the password
alone), signed in (one tap), and signed in as someone else (refused)."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics.models import CheckIn, Metric
from orgs.models import User
from reporting.tasks import sweep_reminders
from tests.browser.conftest import PHONE
from tests.conftest import Cast
from tests.factories import PASSWORD, MetricFactory, MissionFactory
from tests.mail_links import link_path

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], None]


def reminder_links(cast: Cast) -> dict[str, str]:
    """Two metrics of the member's due today; the sweep sends them one email. Its two
    check-in links, by metric name."""
    mission = MissionFactory(organisation=cast.org, title="Net zero", owner=cast.owner)
    today = timezone.localdate(timezone.now(), cast.org.zone())
    for name, latest in (("Tonnes of CO2", "17.5"), ("Fleet miles", "420")):
        metric = MetricFactory(goal__mission=mission, name=name, owner=cast.member)
        Metric.objects.filter(pk=metric.pk).update(
            next_due_on=today, latest_value=Decimal(latest), latest_on=today.replace(day=1)
        )
    User.objects.filter(pk=cast.member.pk).update(reminder_hour=0)  # their hour has come
    sweep_reminders()
    (email,) = [m for m in mail.outbox if m.to == [cast.member.email]]
    links = {}
    for block in email.body.split("\n* ")[1:]:
        name = block.split(" (", 1)[0]
        links[name] = link_path(_Body(block), "/o/acme/check-in/")
    assert set(links) == {"Tonnes of CO2", "Fleet miles"}
    return links


class _Body:
    """One reminder of the email's text, as link_path reads a message."""

    def __init__(self, body: str) -> None:
        self.body = body


def on_a_phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_reminder_link_checks_in_on_a_phone_signed_out_then_signed_in(
    cast: Cast, new_page: Callable[[], Page], shot: Shot
):
    links = reminder_links(cast)

    # Signed out: the login page knows who it is for and asks only for the password.
    page = on_a_phone(new_page())
    page.goto(links["Tonnes of CO2"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_text(f"Logging in as {cast.member.email}")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_count(0)
    expect(page.get_by_label("Password")).to_be_focused()
    fits_the_screen(page)
    shot(page, "password-only")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check in: Tonnes of CO2")
    value = page.get_by_label("Value")
    expect(value).to_have_value("17.5")
    expect(value).to_be_focused()
    fits_the_screen(page)
    shot(page, "one-metric")
    value.fill("16.25")
    page.get_by_role("button", name="Check in").click()
    expect(page.locator(".message-success")).to_have_text("Checked in 16.25 for Tonnes of CO2.")
    assert CheckIn.objects.get(metric__name="Tonnes of CO2").value == Decimal("16.25")

    # Signed in now: the other link is one tap, the value already there.
    page.goto(links["Fleet miles"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Check in: Fleet miles")
    page.get_by_role("button", name="Check in").click()
    expect(page.locator(".message-success")).to_have_text("Checked in 420 for Fleet miles.")
    checkin = CheckIn.objects.get(metric__name="Fleet miles")
    assert (checkin.value, checkin.author_id) == (Decimal(420), cast.member.pk)
    shot(page, "after")


def test_someone_else_signed_in_is_refused_on_a_phone(
    cast: Cast, new_page: Callable[[], Page], shot: Shot, console_errors
):
    console_errors.allow(r"/check-in/.*status of 403")  # the refusal is a 403 page
    links = reminder_links(cast)
    page = on_a_phone(new_page())
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(cast.admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Missions")

    page.goto(links["Tonnes of CO2"])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This check-in link is for someone else"
    )
    expect(page.get_by_label("Value")).to_have_count(0)
    fits_the_screen(page)
    shot(page, "refused")
    assert not CheckIn.objects.exists()
