"""The email preferences page, and previewing this week's digest in the browser."""

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from orgs.models import EmailDelivery, User
from tests.emails.conftest import MONDAY, at


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("email_preferences"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_account_menu_links_to_the_preferences(cast, login):
    page = login(cast.member).get(reverse("reporting:dashboard", args=["acme"]))
    assert reverse("email_preferences").encode() in page.content


def test_a_person_chooses_their_emails_and_when(cast, login):
    client = login(cast.member)
    page = client.get(reverse("email_preferences"))
    assert page.status_code == 200
    assert b"Each organisation\xe2\x80\x99s time zone" in page.content
    assert (
        reverse("reporting:member_digest", args=["acme", cast.membership(cast.member).uid]).encode()
        in page.content
    )

    response = client.post(
        reverse("email_preferences"),
        {
            "receive_digest": "on",
            "digest_weekday": "4",
            "reminder_hour": "7",
            "time_zone": "Asia/Tokyo",
        },
    )

    assert response.status_code == 302
    member = User.objects.get(pk=cast.member.pk)
    assert (member.receive_reminders, member.receive_digest) == (False, True)
    assert (member.digest_weekday, member.reminder_hour, member.time_zone) == (4, 7, "Asia/Tokyo")


@pytest.mark.parametrize(
    ("field", "value"), [("reminder_hour", "24"), ("time_zone", "Mars/Olympus_Mons")]
)
def test_an_impossible_choice_is_refused(cast, login, field, value):
    data = {"reminder_hour": "9", "time_zone": ""} | {field: value}
    response = login(cast.member).post(reverse("email_preferences"), data)
    assert response.status_code == 400
    assert User.objects.get(pk=cast.member.pk).reminder_hour == 9


def preview_url(cast, user, name="reporting:member_digest"):
    return reverse(name, args=["acme", cast.membership(user).uid])


def test_an_admin_previews_a_members_digest_without_sending_it(cast, busy_week, login):
    client = login(cast.admin)
    with time_machine.travel(at(MONDAY, 8), tick=False):
        page = client.get(preview_url(cast, cast.member))
        frame = client.get(preview_url(cast, cast.member, "reporting:member_digest_html"))

    assert page.status_code == 200
    assert b"Acme Member\xe2\x80\x99s digest this week" in page.content
    assert "your missions’ week, 2–8 Mar 2026".encode() in page.content
    assert b"Mon 9 Mar from 09:00 (Europe/London)" in page.content
    assert b"Tonnes of CO2: now 30, +20, better (4 Mar by" in page.content  # the plain text
    assert (
        b'<iframe src="' + preview_url(cast, cast.member, "reporting:member_digest_html").encode()
        in page.content
    )

    assert frame.status_code == 200
    assert b"Your missions\xe2\x80\x99 week" in frame.content
    assert "style-src 'unsafe-inline'" in frame["Content-Security-Policy"]
    assert "script-src" not in frame["Content-Security-Policy"]
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert b"/unsubscribe/" not in frame.content  # the admin gets no way to unsubscribe them
    assert mail.outbox == []
    assert not EmailDelivery.objects.exists()


def test_the_preview_says_when_there_is_nothing_to_send(cast, scene, login):
    User.objects.filter(pk=cast.viewer.pk).update(receive_digest=False)
    page = login(cast.owner).get(preview_url(cast, cast.viewer))
    assert b"they have turned the weekly digest off" in page.content


def test_a_member_previews_their_own_digest(cast, busy_week, login):
    assert login(cast.member).get(preview_url(cast, cast.member)).status_code == 200


@pytest.mark.parametrize("name", ["reporting:member_digest", "reporting:member_digest_html"])
def test_a_member_cannot_preview_someone_elses_digest(cast, busy_week, login, name):
    assert login(cast.member).get(preview_url(cast, cast.owner, name)).status_code == 403
    assert login(cast.viewer).get(preview_url(cast, cast.member, name)).status_code == 403


def test_an_unknown_member_is_not_found(cast, login):
    url = reverse("reporting:member_digest", args=["acme", "00000000-0000-0000-0000-000000000000"])
    assert login(cast.admin).get(url).status_code == 404
