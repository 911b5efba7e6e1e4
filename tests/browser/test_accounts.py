"""Accounts in a real browser: a passkey from Chromium's virtual authenticator, an
authenticator app's code computed from its secret, and single sign-on through a real
OpenID Connect provider (node-oidc-provider) started on a local port."""

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.utils.csp import CSP
from playwright.sync_api import Page, expect

from orgs.models import Organisation, User
from tests.conftest import Cast, require_service
from tests.factories import PASSWORD, TOTP_SECRET, with_two_factor
from tests.mail_links import CONFIRM, link_path
from tests.totp import totp_code

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], None]
OIDC = Path(__file__).parent / "oidc"
NEW_PASSWORD = "Lantern-quarry-47-ribbon"


def add_virtual_authenticator(page: Page) -> None:
    """A platform authenticator that holds passkeys and verifies its user (WebAuthn CDP)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def confirm_access(page: Page, password: str) -> None:
    """Adding a way to sign in asks for the password again first."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()


def log_out(page: Page) -> None:
    page.goto("/accounts/logout/")
    page.get_by_role("main").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def password_log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_sign_up_verify_add_a_passkey_and_sign_in_with_it(page: Page, shot: Shot, live_server):
    add_virtual_authenticator(page)
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill("Pat Passkey")
    page.get_by_label("Email address").fill("pat@harbour.example")
    page.get_by_label(re.compile(r"^Password:?$")).fill(NEW_PASSWORD)
    page.get_by_label("Password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.goto(live_server.url + link_path(mail.outbox[-1], CONFIRM))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an organisation")

    page.get_by_label(re.compile("Account menu")).click()
    page.get_by_role("link", name="Two-factor authentication").click()
    shot(page, "two-factor")
    page.goto("/accounts/2fa/webauthn/add/")
    confirm_access(page, NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Security Key")
    page.get_by_label("Name").fill("This laptop")
    page.get_by_label("Passwordless").check()
    shot(page, "add-passkey")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Add Security Key")
    shot(page, "passkey-added")
    pat = User.objects.get(email="pat@harbour.example")
    assert pat.has_two_factor()

    log_out(page)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an organisation")
    shot(page, "signed-in-with-passkey")


def test_an_authenticator_app_is_set_up_and_its_code_asked_at_login(
    page: Page, shot: Shot, cast: Cast
) -> None:
    password_log_in(page, cast.member.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Missions")
    page.goto("/accounts/2fa/totp/activate/")
    confirm_access(page, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    shot(page, "activate-totp")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("main")).to_contain_text("Authenticator app activated.")

    log_out(page)
    password_log_in(page, cast.member.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    shot(page, "asked-for-code")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Missions")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def oidc_provider(live_server, settings) -> Iterator[str]:
    """node-oidc-provider on a port of its own, registered as Waymark's "Acme SSO"."""
    node = shutil.which("node")
    require_service(
        node is not None and (OIDC / "node_modules" / "oidc-provider").is_dir(),
        "node with tests/browser/oidc installed (npm ci --prefix tests/browser/oidc)",
    )
    port = free_port()
    callback = f"{live_server.url}/accounts/oidc/acme-sso/login/callback/"
    process = subprocess.Popen(  # noqa: S603 -- our own script, our own arguments
        [node, "provider.mjs", str(port), callback, "waymark", "s3cret-for-tests"],
        cwd=OIDC,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("ready"):
                break
            if process.poll() is not None:
                pytest.fail(f"the OpenID Connect provider did not start: {line}")
        issuer = f"http://127.0.0.1:{port}"
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "APPS": [
                    {
                        "provider_id": "acme-sso",
                        "name": "Acme SSO",
                        "client_id": "waymark",
                        "secret": "s3cret-for-tests",
                        "settings": {"server_url": issuer},
                    }
                ]
            }
        }
        # As config/settings.py does for OIDC_SERVER_URL: the SSO button's form leads there.
        settings.SECURE_CSP = settings.SECURE_CSP | {"form-action": [CSP.SELF, issuer]}
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_organisation_requiring_sso_and_two_factor_refuses_a_password_and_takes_the_provider(
    page: Page, shot: Shot, cast: Cast, oidc_provider: str, console_errors
) -> None:
    # The provider's own development pages load a stylesheet from the internet, which is
    # not there, and have no favicon: their errors, not Waymark's.
    console_errors.allow("^" + re.escape(oidc_provider) + "/interaction/")
    Organisation.objects.filter(pk=cast.org.pk).update(
        sso_domains="acme.example", sso_required=True, two_factor_required="everyone"
    )
    with_two_factor(cast.member)

    password_log_in(page, cast.member.email)
    expect(page.get_by_role("alert")).to_contain_text("Acme Missions signs in with single sign-on")
    shot(page, "password-refused")

    page.get_by_role("link", name="Continue with Acme SSO").click()
    page.get_by_role("button", name="Continue").click()  # allauth: leave for the provider
    # The provider's own sign-in and consent pages.
    page.locator("input[name=login]").fill(cast.member.email)
    page.locator("input[name=password]").fill("anything the provider accepts")
    shot(page, "provider-login")
    page.locator("button[type=submit]").first.click()
    page.locator("button[type=submit]").first.click()  # consent
    # Back at Waymark, whose second factor is still asked for.
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    page.get_by_label("Code").fill(totp_code(TOTP_SECRET))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Missions")
    shot(page, "signed-in-through-sso")
