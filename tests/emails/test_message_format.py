"""The bytes an organisation's email goes out as: the headers Django would write, each
kind of header's class made once, and bodies unquoted when their lines allow."""

import re
from email.policy import SMTP

from django.core.mail import EmailMultiAlternatives

from orgs.emails import organisation_email


def email_to(cast, to: str, subject: str):
    return organisation_email(
        cast.org,
        to=to,
        subject=subject,
        template="digest",
        context={"digest": None, "recipient": cast.member, "period": None},
        unsubscribe_url="https://waymark.example/unsubscribe/" + "t" * 120 + "/",
    )


def headers(message) -> list[tuple[str, str]]:
    raw = message.as_bytes().split(b"\r\n\r\n", 1)[0].decode()
    raw = re.sub(r'boundary="[^"]+"', "boundary=…", raw)  # random
    unfolded = raw.replace("\r\n ", " ").split("\r\n")
    return [
        tuple(line.split(": ", 1))
        for line in unfolded
        if not line.startswith(("Date", "Message-ID"))
    ]


def test_its_headers_are_the_ones_django_writes(cast):
    subject = "your missions’ week, " + "a long mission name " * 6
    ours = email_to(cast, "Zoë <zoe@acme.example>", subject)
    django = EmailMultiAlternatives(
        subject=ours.subject,
        body=ours.body,
        from_email=ours.from_email,
        to=ours.to,
        headers=ours.extra_headers,
    )
    django.attach_alternative(*ours.alternatives[0])
    assert headers(ours.message(policy=SMTP)) == headers(django.message(policy=SMTP))
    assert ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click") in headers(
        ours.message(policy=SMTP)
    )


def test_each_kind_of_header_is_made_once_not_for_every_message(cast):
    first = email_to(cast, "member@acme.example", "one").message(policy=SMTP)
    second = email_to(cast, "owner@acme.example", "two").message(policy=SMTP)
    for name in ("Subject", "From", "To", "Content-Type"):
        assert type(first[name]) is type(second[name])
    assert first["To"] == "member@acme.example" and second["Subject"].endswith("two")
