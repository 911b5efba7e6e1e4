"""The bytes an organisation's email goes out as: its name in the From header, a subject
that stays one header whatever was typed, and a List-Unsubscribe link mail clients can
follow."""

from email.policy import SMTP

import pytest

from core.deliveries import OneLineHeader
from orgs.emails import organisation_email

UNSUBSCRIBE = "https://waymark.example/unsubscribe/" + "t" * 120 + "/"


def email_to(cast, to: str, subject: str):
    return organisation_email(
        cast.org,
        to=to,
        subject=subject,
        template="digest",
        context={"digest": None, "recipient": cast.member, "period": None},
        unsubscribe_url=UNSUBSCRIBE,
    )


def header_lines(message) -> list[str]:
    """The header section as sent, folded lines joined back to their headers."""
    raw = message.as_bytes().split(b"\r\n\r\n", 1)[0].decode()
    return raw.replace("\r\n ", " ").split("\r\n")


def test_the_organisations_name_is_the_sender_whatever_was_typed(cast):
    cast.org.name = "Acme\r\nBcc: everyone@example.com\n Missions"
    message = email_to(cast, "member@acme.example", "your week").message(policy=SMTP)
    lines = header_lines(message)
    sender = '"Acme Bcc: everyone@example.com Missions via Waymark" <waymark@localhost>'
    assert f"From: {sender}" in lines
    assert not [line for line in lines if line.startswith("Bcc")]


def test_a_subject_with_line_breaks_stays_one_header(cast):
    email = email_to(cast, "member@acme.example", "your week\r\nBcc: everyone@example.com")
    assert email.subject == "Acme Missions: your week Bcc: everyone@example.com"
    lines = header_lines(email.message(policy=SMTP))
    assert "Subject: Acme Missions: your week Bcc: everyone@example.com" in lines
    assert not [line for line in lines if line.startswith("Bcc")]


def test_its_headers_say_how_to_unsubscribe_and_that_it_is_automatic(cast):
    email = email_to(cast, "Zoë <zoe@acme.example>", "your missions’ week")
    lines = header_lines(email.message(policy=SMTP))
    # On one line, as it is: not folded into encoded words mail clients can't follow.
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>" in lines
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    assert "Auto-Submitted: auto-generated" in lines
    assert "To: =?utf-8?q?Zo=C3=AB?= <zoe@acme.example>" in lines


def test_a_header_that_cannot_go_on_one_line_is_refused():
    with pytest.raises(ValueError, match="does not fit on one line"):
        OneLineHeader("List-Unsubscribe", "<https://waymark.example/" + "t" * 980 + ">")
    with pytest.raises(ValueError, match="does not fit on one line"):
        OneLineHeader("List-Unsubscribe", "<https://waymark.example/>\r\nBcc: x@example.com")
