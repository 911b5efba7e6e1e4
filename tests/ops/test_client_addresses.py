"""The client's address is read from X-Forwarded-For only through the proxies the operator
trusts: a forged header moves neither the rate limits, nor the signed-in browsers' record,
nor the request log."""

import logging

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client, RequestFactory
from django.urls import reverse

from core.client_addresses import client_address
from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("account_login")
PROXY = "10.0.0.2"
INNER_PROXY = "10.0.0.3"
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"
PAUSED = "logging in is paused for 15 minutes"


def address(remote: str, forwarded: str | None = None) -> str:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/24"]


def test_with_no_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert address(ATTACKER, VICTIM) == ATTACKER


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        (ATTACKER, ATTACKER),  # what the proxy appended
        (f"{VICTIM}, {ATTACKER}", ATTACKER),  # a forged entry to the left is ignored
        (f"not-an-address, {ATTACKER}", ATTACKER),  # and so is rubbish
        (f"{VICTIM},{VICTIM}, {ATTACKER}", ATTACKER),
        (None, PROXY),  # no header: the connection's
    ],
)
def test_behind_one_proxy_the_address_it_appended_counts(behind_one_proxy, forwarded, expected):
    assert address(PROXY, forwarded) == expected


def test_a_connection_from_outside_the_proxies_networks_cannot_forge(behind_one_proxy):
    assert address(ATTACKER, VICTIM) == ATTACKER


def test_behind_two_proxies_the_outer_ones_entry_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    settings.TRUSTED_PROXY_NETWORKS = []
    assert address(INNER_PROXY, f"{VICTIM}, {ATTACKER}, {PROXY}") == ATTACKER
    # Shorter than the proxies: nothing in it is trusted.
    assert address(INNER_PROXY, VICTIM) == INNER_PROXY


def wrong_password(client: Client, email: str, remote: str, forwarded: str):
    return client.post(
        LOGIN,
        {"login": email, "password": "wrong"},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_a_forged_header_cannot_lock_the_victim_out_through_the_proxy(db, behind_one_proxy):
    victim = UserFactory(email="victim@x.example")
    attacker = Client()
    # Wrong passwords for many addresses (so no one address pauses), each claiming to come
    # from the victim's address; the proxy appends the attacker's real one.
    for number in range(10):
        wrong_password(attacker, f"guess{number}@x.example", PROXY, f"{VICTIM}, {ATTACKER}")
    # The attacker's own address is now over the limit: the limit is real...
    refused = wrong_password(attacker, "guess99@x.example", PROXY, f"{VICTIM}, {ATTACKER}")
    assert refused.status_code == 429 or PAUSED in refused.text

    # ...and the victim, behind the same proxy, still logs in.
    answer = Client().post(
        LOGIN,
        {"login": victim.email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=VICTIM,
    )
    assert answer.status_code == 302


def test_without_the_proxy_setting_everyone_behind_it_shares_one_limit(db, settings):
    """Why the setting matters: the proxy's address is everyone's, and one person's wrong
    passwords pause the rest."""
    settings.TRUSTED_PROXY_COUNT = 0
    victim = UserFactory(email="victim@x.example")
    for number in range(11):
        wrong_password(Client(), f"guess{number}@x.example", PROXY, ATTACKER)
    answer = Client().post(
        LOGIN,
        {"login": victim.email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=VICTIM,
    )
    assert answer.status_code != 302


def test_a_direct_connection_forging_the_header_is_counted_as_itself(db, behind_one_proxy):
    victim = UserFactory(email="victim@x.example")
    for number in range(11):
        wrong_password(Client(), f"guess{number}@x.example", ATTACKER, VICTIM)
    answer = Client().post(
        LOGIN,
        {"login": victim.email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=VICTIM,
    )
    assert answer.status_code == 302


def test_signed_in_browsers_and_the_request_log_record_the_real_address(
    db, behind_one_proxy, caplog
):
    person = UserFactory(email="person@x.example")
    client = Client()
    with caplog.at_level(logging.INFO, logger="waymark.requests"):
        answer = client.post(
            LOGIN,
            {"login": person.email, "password": PASSWORD},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"{VICTIM}, {ATTACKER}",
        )
    assert answer.status_code == 302
    assert UserSession.objects.get(user=person).ip == ATTACKER
    [line] = [r for r in caplog.records if r.name == "waymark.requests"]
    assert line.client == ATTACKER
