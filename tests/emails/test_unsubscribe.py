"""Every email's signed unsubscribe link and List-Unsubscribe headers; bad links change
nothing."""

import logging
from datetime import UTC, date, datetime
from email import policy
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client

from metrics.models import Metric
from orgs.emails import ONE_CLICK
from orgs.models import Stakeholder, User
from orgs.unsubscribe import SALT, Topic, unsubscribe_token, unsubscribe_url
from reporting.digests import member_digest_send, stakeholder_digest_send
from reporting.tasks import sweep_reminders
from tests.emails.conftest import MONDAY, at

DUE = date(2026, 3, 10)


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def reminder(cast, scene):
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(pk=scene.metric.pk).update(next_due_on=DUE)
        sweep_reminders()
    (email,) = mail.outbox
    return email


def one_click_url(email) -> str:
    return email.extra_headers["List-Unsubscribe"].strip("<>")


def test_every_kind_of_email_is_multipart_with_one_click_unsubscribe(cast, supplier):
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        Metric.objects.filter(owner=cast.member).update(next_due_on=DUE)
        sweep_reminders()
    with time_machine.travel(at(MONDAY, 9), tick=False):
        member_digest_send(cast.membership(cast.member).pk)
        stakeholder_digest_send(supplier.pk)
    # Reminders to the member and to the owner (whose metric is late), two digests.
    assert len(mail.outbox) == 4
    for email in mail.outbox:
        assert email.from_email == "Acme Missions via Waymark <waymark@localhost>"
        assert email.subject.startswith("Acme Missions: ")
        assert email.alternatives[0][1] == "text/html"
        assert email.extra_headers["List-Unsubscribe-Post"] == ONE_CLICK
        link = one_click_url(email)
        assert link.startswith("http://127.0.0.1:8000/unsubscribe/")
        assert link in email.body
        assert f'href="{link}"' in email.alternatives[0][0]
        assert email.extra_headers["Auto-Submitted"] == "auto-generated"
        # On one line, as it is: not folded into encoded words mail clients can't follow.
        raw = email.message(policy=policy.SMTP).as_bytes()  # as the SMTP backend sends it
        assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in raw


def test_the_link_asks_before_it_unsubscribes(cast, reminder, client):
    page = client.get(path_of(one_click_url(reminder)))
    assert page.status_code == 200
    assert b"Unsubscribe from check-in reminders?" in page.content
    assert User.objects.get(pk=cast.member.pk).receive_reminders  # a link scanner changes nothing


def test_the_button_unsubscribes_without_logging_in_and_can_be_undone(cast, reminder):
    client = Client(enforce_csrf_checks=True)
    url = path_of(one_click_url(reminder))

    page = client.post(url)

    assert page.status_code == 200
    assert b"You\xe2\x80\x99re unsubscribed" in page.content
    assert not User.objects.get(pk=cast.member.pk).receive_reminders
    client.post(url, {"resubscribe": "1"})
    assert User.objects.get(pk=cast.member.pk).receive_reminders


def test_a_mail_clients_one_click_post_unsubscribes(cast, reminder):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path_of(one_click_url(reminder)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not User.objects.get(pk=cast.member.pk).receive_reminders


def test_once_unsubscribed_no_more_reminders_come(cast, reminder, client):
    client.post(path_of(one_click_url(reminder)))
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 3, 11, 9, tzinfo=UTC), tick=False):
        sweep_reminders()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: token.replace(token.split(":")[0], token.split(":")[0][::-1]),
        lambda token: "not-a-token",
        lambda token: signing.dumps(["m", "0" * 32, "reminders"], salt="another.salt"),
    ],
    ids=["signature", "payload", "garbage", "other-salt"],
)
def test_a_tampered_link_is_refused_and_changes_nothing(cast, scene, client, tamper, caplog):
    token = tamper(unsubscribe_token(Topic.REMINDERS, cast.membership(cast.member)))
    with caplog.at_level(logging.WARNING, logger="orgs.views"):
        for method in (client.get, client.post):
            response = method(f"/unsubscribe/{token}/")
            assert response.status_code == 400
            assert b"This unsubscribe link isn\xe2\x80\x99t valid" in response.content
    assert User.objects.get(pk=cast.member.pk).receive_reminders
    assert "bad signature" in caplog.text


def test_a_link_for_someone_who_left_says_so(cast, scene, client):
    membership = cast.membership(cast.member)
    url = path_of(unsubscribe_url(Topic.DIGEST, membership))
    membership.delete()
    response = client.post(url)
    assert response.status_code == 200
    assert b"Nothing to unsubscribe from" in response.content


def test_a_stakeholder_unsubscribes_from_their_digest_and_undo_restores_weekly(cast, supplier):
    url = path_of(unsubscribe_url(Topic.STAKEHOLDER_DIGEST, supplier))
    client = Client(enforce_csrf_checks=True)

    page = client.post(url)

    assert Stakeholder.objects.get(pk=supplier.pk).digest_frequency == "none"
    assert b"dev@greenfold.example" in page.content
    client.post(url, {"resubscribe": "1", "frequency": "weekly"})
    assert Stakeholder.objects.get(pk=supplier.pk).digest_frequency == "weekly"


def test_a_members_token_cannot_name_a_stakeholder(cast, supplier, client):
    token = signing.dumps(["m", supplier.uid.hex, "stakeholder_digest"], salt=SALT)
    assert client.post(f"/unsubscribe/{token}/").status_code == 400
