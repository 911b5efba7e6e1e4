from django.urls import reverse

from tests.factories import UserFactory
from tests.mail_links import CONFIRM, link_path

URL = reverse("account_profile")


def test_a_person_renames_themselves(cast, login):
    login(cast.member).post(URL, {"name": "Mo Member"})
    cast.member.refresh_from_db()
    assert cast.member.name == "Mo Member"


def test_the_email_address_is_not_changed_here(cast, login):
    login(cast.member).post(URL, {"name": "M", "email": "new@acme.example"})
    cast.member.refresh_from_db()
    assert cast.member.email == "member@acme.example"


def test_a_new_email_address_takes_over_once_verified(cast, login):

    from django.core import mail

    client = login(cast.member)
    client.post(reverse("account_email"), {"action_add": "", "email": "New@Acme.example"})
    cast.member.refresh_from_db()
    assert cast.member.email == "member@acme.example"  # not before the link is opened

    link = link_path(mail.outbox[-1], CONFIRM)
    client.post(link)

    cast.member.refresh_from_db()
    assert cast.member.email == "new@acme.example"


def test_an_email_someone_else_uses_is_refused(cast, login):
    UserFactory(email="taken@example.com")
    response = login(cast.member).post(
        reverse("account_email"), {"action_add": "", "email": "taken@example.com"}
    )
    cast.member.refresh_from_db()
    assert cast.member.email == "member@acme.example"
    assert response.status_code in (200, 302)


def test_the_page_needs_a_login(client, db):
    assert client.get(URL)["Location"].startswith(reverse("account_login"))


def test_the_page_says_logging_out_signs_out_every_device(cast, login):
    assert "Logging out signs you out on every device" in login(cast.member).get(URL).text
