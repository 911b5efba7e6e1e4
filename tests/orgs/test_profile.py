from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

URL = reverse("account_profile")


def test_a_person_renames_themselves_without_a_password(cast, login):
    login(cast.member).post(URL, {"name": "Mo Member", "email": "member@acme.example"})
    cast.member.refresh_from_db()
    assert cast.member.name == "Mo Member"


def test_changing_the_email_needs_the_current_password(cast, login):
    client = login(cast.member)
    response = client.post(URL, {"name": "M", "email": "new@acme.example", "password": "wrong"})
    assert response.status_code == 400
    assert "Enter your current password to change your email address." in response.text
    cast.member.refresh_from_db()
    assert cast.member.email == "member@acme.example"

    client.post(URL, {"name": "M", "email": "New@Acme.example", "password": PASSWORD})
    cast.member.refresh_from_db()
    assert cast.member.email == "new@acme.example"


def test_an_email_someone_else_uses_is_refused(cast, login):
    UserFactory(email="taken@example.com")
    response = login(cast.member).post(
        URL, {"name": "M", "email": "taken@example.com", "password": PASSWORD}
    )
    assert "Another account already uses this email address." in response.text
    cast.member.refresh_from_db()
    assert cast.member.email == "member@acme.example"


def test_the_page_needs_a_login(client, db):
    assert client.get(URL)["Location"].startswith(reverse("login"))


def test_the_page_says_logging_out_signs_out_every_device(cast, login):
    assert "Logging out signs you out on every device" in login(cast.member).get(URL).text
