"""With SENTRY_DSN set, an error in a request is reported, to a real local server that
speaks Sentry's protocol here, without anything personal: no cookies, headers, URL,
query string or form data, no local variables, the person by id alone."""

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import brotli
import pytest
import sentry_sdk
from django.db import connection
from django.test import Client

from core.error_reports import scrub, start_error_reports

TOKEN = "Sup3rSecretShareTokenValue_abcdefghijklmnop"


class Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        Collector.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def sentry_server():
    Collector.received = []
    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    start_error_reports(f"http://public@127.0.0.1:{server.server_port}/1", environment="test")
    yield Collector.received
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: reporting off again
    server.shutdown()


def events(received: list[bytes]) -> list[dict]:
    found = []
    for envelope in received:
        for line in envelope.splitlines():
            if line.startswith(b"{") and b'"exception"' in line:
                found.append(json.loads(line))
    return found


def test_an_error_is_reported_without_personal_data(db, sentry_server, monkeypatch):
    client = Client(raise_request_exception=False)

    def broken():
        secret_local = TOKEN  # noqa: F841 (a local a report must not carry)
        raise RuntimeError("the database is on fire")

    with monkeypatch.context() as patched:
        # The view's one query fails (nothing before it asks the database).
        patched.setattr(connection, "cursor", broken)
        response = client.get(
            f"/healthz/database?token={TOKEN}",
            HTTP_X_REQUEST_ID="error-report-0001",
            HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        )
    sentry_sdk.flush(timeout=10)

    assert response.status_code == 500
    [event] = events(sentry_server)
    assert event["exception"]["values"][-1]["value"] == "the database is on fire"
    assert set(event.get("request", {})) <= {"method"}
    assert event["tags"]["request_id"] == "error-report-0001"
    raw = b"".join(sentry_server).decode()
    assert TOKEN not in raw
    assert "healthz/database?" not in raw


def test_scrub_keeps_the_method_and_the_persons_id_only():
    event = {
        "request": {
            "method": "POST",
            "url": f"https://waymark.example/s/{TOKEN}/",
            "query_string": f"token={TOKEN}",
            "cookies": {"sessionid": "abc"},
            "headers": {"Cookie": "sessionid=abc"},
            "data": {"password": TOKEN},
            "env": {"REMOTE_ADDR": "198.51.100.7"},
        },
        "user": {"id": 7, "email": "a@x.example", "ip_address": "198.51.100.7"},
        "breadcrumbs": {"values": [{"message": "Sending to a@x.example failed"}]},
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"token": TOKEN}}]}}]},
    }
    scrubbed = scrub(event)
    assert scrubbed["request"] == {"method": "POST"}
    assert scrubbed["user"] == {"id": 7}
    assert "breadcrumbs" not in scrubbed
    assert TOKEN not in json.dumps(scrubbed)
