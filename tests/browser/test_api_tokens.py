"""API tokens in a real browser: made in the organisation's settings, shown once, used
by a program, revoked; and the API's documentation under the site's strict CSP."""

import pytest
import requests
from playwright.sync_api import Page, expect

from api.models import ApiToken
from metrics.models import CheckIn
from tests.browser.test_missions import log_in, org_nav
from tests.conftest import Cast
from tests.factories import GoalFactory, MetricFactory, MissionFactory

pytestmark = pytest.mark.browser


def test_an_admin_makes_a_token_a_program_uses_it_and_revoking_stops_it(
    page: Page, cast: Cast, live_server
):
    mission = MissionFactory(organisation=cast.org, title="Cut waste", owner=cast.admin)
    metric = MetricFactory(goal=GoalFactory(mission=mission), name="Bins", owner=cast.admin)
    log_in(page, cast.admin)
    org_nav(page).get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    page.get_by_label("Name").fill("Bin sensor")
    page.get_by_label("Role").select_option("member")
    page.get_by_label("Check in").check()
    page.get_by_role("button", name="Create the token").click()
    secret = page.get_by_label("The new token").input_value()
    assert secret.startswith("wmk_")

    url = f"{live_server.url}/api/v1/orgs/acme/metrics/{metric.uid}/checkins"
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "bin-reading-1"}
    answer = requests.post(url, json={"value": 12}, headers=headers, timeout=10)
    assert answer.status_code == 201, answer.text
    assert CheckIn.objects.filter(metric=metric, value=12).count() == 1

    page.reload()  # a reload makes no second token and shows this one no more; its use shows
    assert ApiToken.objects.count() == 1
    expect(page.get_by_label("The new token")).to_have_count(0)
    row = page.get_by_role("row", name="Bin sensor")
    expect(row).not_to_contain_text("Never")
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("row", name="Bin sensor")).to_contain_text("Revoked")
    headers["Idempotency-Key"] = "bin-reading-2"
    refused = requests.post(url, json={"value": 13}, headers=headers, timeout=10)
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert not CheckIn.objects.filter(metric=metric, value=13).exists()


def test_the_api_documentation_loads_nothing_the_policy_blocks(page: Page, cast: Cast):
    """A blocked script or style would be a console error, which fails the test."""
    page.goto("/api/v1/docs/")
    expect(page.get_by_role("heading", level=1)).to_have_text("API documentation")
    expect(
        page.get_by_role("heading", name="POST /api/v1/orgs/{org}/metrics/{metric_uid}/checkins")
    ).to_be_visible()
    page.get_by_role("link", name="Errors").click()
    expect(page.locator("#error-rate_limited")).to_be_visible()
