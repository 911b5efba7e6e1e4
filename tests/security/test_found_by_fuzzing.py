"""What the form fuzz found, each pinned by a test of its own."""

from django.urls import reverse

from missions.models import Mission
from tests.factories import MetricFactory, MissionFactory
from tests.security.xss_corpus import XSS


def test_an_overlong_login_email_is_refused_on_the_form(client, db):
    response = client.post(reverse("account_login"), {"login": "a" * 300, "password": "x"})
    assert response.status_code == 200
    assert b"Enter a valid email address." in response.content


def test_the_digest_preview_escapes_the_text_email(cast, login):
    MissionFactory(organisation=cast.org, title=XSS[1], owner=cast.owner)
    member = cast.membership(cast.owner)
    response = login(cast.owner).get(reverse("reporting:member_digest", args=["acme", member.uid]))
    assert response.status_code == 200
    assert b"<img src=x onerror" not in response.content


def test_a_template_title_with_nul_or_too_long_gets_a_form_error(cast, login):
    client = login(cast.owner)
    url = reverse("metrics:template_use", args=["acme", "net-zero-operations"])
    for title in ("Zero\x00waste", "x" * 161):
        response = client.post(url, {"title": title})
        assert response.status_code == 400
        assert b'class="errorlist"' in response.content
    assert not Mission.objects.filter(organisation=cast.org).exists()


def test_a_share_link_expiring_at_the_end_of_time_gets_a_form_error(cast, login):
    MissionFactory(organisation=cast.org, slug="m", visibility="shareable")
    client = login(cast.owner)
    response = client.post(
        reverse("reporting:share", args=["acme", "m"]), {"expires_on": "9999-12-31"}
    )
    assert response.status_code in (400, 422)
    assert "Choose a date between today and 31 Dec 2100." in response.content.decode()


def test_a_check_in_whose_next_page_is_not_a_path_goes_to_the_metric(cast, login):
    metric = MetricFactory(goal__mission__organisation=cast.org, owner=cast.member)
    check_in = reverse("metrics:check_in", args=["acme", metric.mission.slug, metric.uid])
    response = login(cast.member).post(
        check_in,
        {"value": "1", "confidence": "on_track", "for_date": "2026-01-01", "next": "9" * 40},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/metrics/{metric.uid}/")
