"""PostgreSQL restarting under a running app, simulated: the app's persistent connection
is cut from outside (pg_terminate_backend, as a restart does) between two requests served
through a real WSGI server. bench/faults.py restarts the real server, by hand."""

import threading
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import psycopg
import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection, connections
from django.test import Client

from tests.conftest import require_service
from tests.factories import MissionFactory
from tests.integration.machinery import database_url


class Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def app_server(transactional_db, settings):
    """The app behind one single-threaded WSGI server: one thread, one database connection
    kept between requests (CONN_MAX_AGE), as a web worker keeps it."""
    require_service(connection.vendor == "postgresql", "PostgreSQL")
    settings.SECURE_SSL_REDIRECT = False
    saved = dict(connection.settings_dict)
    connection.settings_dict["CONN_MAX_AGE"] = 60  # read by each thread's connection
    server: WSGIServer = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)

    def serve() -> None:
        try:
            server.serve_forever()
        finally:
            connections.close_all()  # this thread's

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    connection.settings_dict.update(saved)


def get(url: str, cookie: str) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 (ours)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def cut_app_connections() -> int:
    """What a PostgreSQL restart does to the app: its connections are closed under it.
    Only this test database's, and never the test's own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (test_pid,) = cursor.fetchone()
    with psycopg.connect(database_url(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [test_pid],
        ).fetchall()
    return len(rows)


@pytest.fixture
def signed_in(cast):
    MissionFactory(organisation=cast.org, title="Net zero", slug="net-zero", owner=cast.owner)
    client = Client()
    client.force_login(cast.member)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_with_health_checks_a_cut_connection_costs_no_request_an_error(app_server, signed_in):
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    page = f"{app_server}/o/acme/missions/net-zero/"
    assert get(page, signed_in)[0] == 200

    for _ in range(3):
        assert cut_app_connections() >= 1  # the server's, and any a test before left open
        statuses = [get(page, signed_in)[0] for _ in range(3)]
        assert statuses == [200, 200, 200]


def test_without_health_checks_one_request_gets_a_friendly_503_and_the_next_recovers(
    app_server, signed_in
):
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    page = f"{app_server}/o/acme/missions/net-zero/"
    assert get(page, signed_in)[0] == 200

    assert cut_app_connections() >= 1
    status, body, headers = get(page, signed_in)
    assert status == 503
    assert "Waymark is back in a moment" in body
    assert headers["Retry-After"] == "5"
    # The broken connection was dropped at the end of that request: no restart needed.
    assert [get(page, signed_in)[0] for _ in range(3)] == [200, 200, 200]
