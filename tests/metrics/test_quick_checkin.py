"""A reminder's signed link: one metric's check-in, for the person it was sent to."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from metrics.checkin_links import SALT, quick_checkin_url
from metrics.models import CheckIn, Metric
from orgs.models import Organisation
from tests.factories import PASSWORD, MetricFactory, MissionFactory

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.fixture
def metric(cast) -> Metric:
    mission = MissionFactory(
        organisation=cast.org, title="Net zero", slug="net-zero", owner=cast.owner
    )
    metric = MetricFactory(goal__mission=mission, name="Tonnes of CO2", owner=cast.member)
    Metric.objects.filter(pk=metric.pk).update(latest_value=Decimal("17.5"))
    metric.refresh_from_db()
    return metric


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_the_link_is_named_and_opens_the_prefilled_form_for_its_person(cast, metric, client):
    with time_machine.travel(NOW, tick=False):
        link = path_of(quick_checkin_url(metric, cast.member))
        assert link.startswith("/o/acme/check-in/")
        client.force_login(cast.member)
        page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Check in: Tonnes of CO2" in html
    assert 'value="17.5"' in html
    assert "autofocus" in html


def test_one_submit_records_the_check_in_through_the_same_form(cast, metric, client):
    with time_machine.travel(NOW, tick=False):
        link = path_of(quick_checkin_url(metric, cast.member))
        client.force_login(cast.member)
        done = client.post(
            link, {"value": "16", "for_date": "2026-03-10", "confidence": "on_track", "note": ""}
        )
    assert done.status_code == 302
    assert done["Location"] == f"/o/acme/my-check-ins/#checkin-{metric.uid}"
    checkin = CheckIn.objects.get(metric=metric)
    assert (checkin.value, checkin.author) == (Decimal(16), cast.member)


def test_bad_input_is_refused_with_a_message_and_nothing_saved(cast, metric, client):
    with time_machine.travel(NOW, tick=False):
        link = path_of(quick_checkin_url(metric, cast.member))
        client.force_login(cast.member)
        refused = client.post(link, {"value": "lots", "for_date": "2026-03-10"})
    assert refused.status_code == 400
    assert "Enter a number" in refused.content.decode()
    assert not CheckIn.objects.filter(metric=metric).exists()


def test_someone_else_signed_in_is_refused_and_sees_no_form(cast, metric, client):
    with time_machine.travel(NOW, tick=False):
        link = path_of(quick_checkin_url(metric, cast.member))
        client.force_login(cast.admin)  # may check in on it, but the link is not theirs
        refused = client.get(link)
        posted = client.post(link, {"value": "1", "for_date": "2026-03-10"})
    assert refused.status_code == posted.status_code == 403
    html = refused.content.decode()
    assert "This check-in link is for someone else" in html
    assert 'name="value"' not in html
    assert cast.member.email not in html
    assert not CheckIn.objects.filter(metric=metric).exists()


def test_a_link_for_a_metric_of_another_organisation_opens_nothing(cast, metric, client):
    with time_machine.travel(NOW, tick=False):
        token = path_of(quick_checkin_url(metric, cast.member)).split("/")[-2]
        client.force_login(cast.member)
        assert client.get(f"/o/other-co/check-in/{token}/").status_code == 404


def test_signed_out_the_login_page_asks_only_for_their_password_then_opens_the_form(cast, metric):
    client = Client()
    with time_machine.travel(NOW, tick=False):
        link = path_of(quick_checkin_url(metric, cast.member))
        to_login = client.get(link)
        assert to_login.status_code == 302
        login_url = to_login["Location"]
        assert login_url.startswith(reverse("account_login") + "?next=")
        page = client.get(login_url).content.decode()
        assert f"Logging in as <strong>{cast.member.email}</strong>" in page
        assert 'type="hidden" name="login"' in page
        assert 'type="email"' not in page
        assert 'name="password"' in page

        wrong = client.post(login_url, {"login": cast.member.email, "password": "nope"})
        assert wrong.status_code == 200
        assert f"Logging in as <strong>{cast.member.email}</strong>" in wrong.content.decode()

        signed_in = client.post(login_url, {"login": cast.member.email, "password": PASSWORD})
        assert signed_in.status_code == 302
        assert signed_in["Location"] == link
        assert 'value="17.5"' in client.get(link).content.decode()
        # The next login page is an ordinary one again.
        client.logout()
        assert 'type="email"' in client.get(reverse("account_login")).content.decode()


def test_not_you_gives_the_ordinary_login_page(cast, metric):
    client = Client()
    with time_machine.travel(NOW, tick=False):
        client.get(path_of(quick_checkin_url(metric, cast.member)))
        page = client.get(reverse("account_login") + "?another=1").content.decode()
    assert "Logging in as" not in page
    assert 'type="email"' in page


def test_signed_out_with_single_sign_on_it_asks_for_no_password(cast, metric):
    Organisation.objects.filter(slug="acme").update(sso_domains="acme.example", sso_required=True)
    client = Client()
    with time_machine.travel(NOW, tick=False):
        login_url = client.get(path_of(quick_checkin_url(metric, cast.member)))["Location"]
        page = client.get(login_url).content.decode()
    assert f"Logging in as <strong>{cast.member.email}</strong>" in page
    assert 'name="password"' not in page


def test_the_link_expires_after_two_weeks(cast, metric, client):
    with time_machine.travel(NOW, tick=False):
        link = path_of(quick_checkin_url(metric, cast.member))
    client.force_login(cast.member)
    with time_machine.travel(NOW + timedelta(days=13), tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel(NOW + timedelta(days=15), tick=False):
        expired = client.get(link)
    assert expired.status_code == 410
    assert "This check-in link has expired" in expired.content.decode()


def test_a_tampered_or_unsigned_link_opens_nothing(cast, metric, client):
    client.force_login(cast.member)
    with time_machine.travel(NOW, tick=False):
        token = path_of(quick_checkin_url(metric, cast.member)).split("/")[-2]
        forged = signing.dumps([metric.uid.hex, "0" * 20], salt=SALT, key="not-the-key" * 5)
        for bad in (token[:-2] + "xx", forged, "nonsense"):
            assert client.get(f"/o/acme/check-in/{bad}/").status_code == 404


def test_a_link_to_a_metric_given_to_someone_else_since_no_longer_opens_it(cast, metric):
    with time_machine.travel(NOW, tick=False):
        link = path_of(quick_checkin_url(metric, cast.member))
        Metric.objects.filter(pk=metric.pk).update(owner=cast.admin)
        signed_out = Client().get(link)
        assert signed_out.status_code == 404
        assert "no longer works" in signed_out.content.decode()
        member = Client()
        member.force_login(cast.member)
        assert member.get(link).status_code == 403  # a member may not check in on it now
