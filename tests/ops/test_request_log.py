"""One log line per request, an id that follows the request into emails, and log lines a
collector can search."""

import json
import logging
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.log_format import JsonFormatter, RequestIdFilter
from core.request_ids import WELL_FORMED
from tests.factories import UserFactory

SECRET = "Sh4reT0kenThatMustNeverBeLogged_0123456789abcdef"


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "waymark.requests"]


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.INFO, logger="waymark.requests")
    return caplog


def test_a_request_is_one_line_naming_its_route_not_its_path(db, client, logged):
    response = client.get(f"/s/{SECRET}/?token={SECRET}")

    [line] = request_lines(logged)
    assert response.status_code == 404
    assert line.route == "s/<str:token>/"
    assert (line.method, line.status) == ("GET", 404)
    assert line.duration_ms >= 0
    assert line.request_id == response["X-Request-ID"]
    assert line.user_id is None and line.organisation_id is None
    everything = logged.text + json.dumps(vars(line), default=str)
    assert SECRET not in everything


def test_the_line_carries_the_person_and_the_organisation(cast, login, logged):
    response = login(cast.member).get(reverse("reporting:dashboard", args=[cast.org.slug]))

    assert response.status_code == 200
    [line] = request_lines(logged)
    assert line.user_id == cast.member.pk
    assert line.organisation_id == cast.org.pk
    assert line.route == "o/<slug:org_slug>/"


def test_an_unknown_address_is_logged_as_unmatched(db, client, logged):
    client.get("/no/such/page/here/")
    [line] = request_lines(logged)
    assert line.route == "<unmatched>"


def test_a_well_formed_incoming_request_id_is_kept_and_echoed(db, client, logged):
    response = client.get("/", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")
    assert response["X-Request-ID"] == "lb-7f3a9c21-0001"
    assert request_lines(logged)[0].request_id == "lb-7f3a9c21-0001"


@pytest.mark.parametrize(
    "incoming",
    ["short", "x" * 65, "has spaces in it", "new\nline-injected", "semi;colon;1234", ""],
)
def test_a_malformed_incoming_request_id_is_replaced(db, client, logged, incoming):
    response = client.get("/", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert WELL_FORMED.fullmatch(response["X-Request-ID"])
    assert request_lines(logged)[0].request_id == response["X-Request-ID"]


def test_an_email_sent_while_answering_carries_the_request_id(db, client):
    UserFactory(email="forgetful@x.example")
    response = client.post(
        reverse("account_reset_password"),
        {"email": "forgetful@x.example"},
        HTTP_X_REQUEST_ID="reset-request-0001",
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.extra_headers["X-Request-ID"] == "reset-request-0001"
    assert message.message()["X-Request-ID"] == "reset-request-0001"


def test_json_lines_have_time_level_logger_and_the_request_fields(db, client, logged):
    client.get("/", HTTP_X_REQUEST_ID="json-line-check-01")
    record = request_lines(logged)[0]
    RequestIdFilter().filter(record)

    line = json.loads(JsonFormatter().format(record))

    assert line["level"] == "INFO"
    assert line["logger"] == "waymark.requests"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    assert line["request_id"] == "json-line-check-01"
    assert line["route"] == "home"  # its pattern is "": the view's name then
    assert line["status"] in (200, 302)
    assert {"method", "duration_ms", "user_id", "organisation_id", "client"} <= set(line)


def test_a_log_line_outside_a_request_has_no_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    RequestIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "-"


def test_a_disallowed_host_is_one_line_without_a_traceback(db, caplog):
    caplog.set_level(logging.INFO)
    response = Client().get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    refusals = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert refusals
    assert all(r.exc_info is None and r.exc_text is None for r in refusals)
    assert "Traceback" not in caplog.text
