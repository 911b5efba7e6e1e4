"""Requests Waymark makes to addresses people give it (webhooks, chat channels, feeds).

Anyone who manages an organisation can type an address, so each request must not reach
inside the network Waymark runs in: the host is resolved here, every address it resolves
to is checked, and the connection is made to the address that was checked, so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot send it
elsewhere. Redirects are followed, a few, each checked the same way. Every request has a
timeout and reads at most INTEGRATIONS_MAX_RESPONSE_BYTES of the answer.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

REDIRECTS = 3
USER_AGENT = "Waymark-Integrations/1"


class RefusedAddress(ValueError):
    """The address is not one Waymark sends to; the message says why, for people."""


class FetchFailed(Exception):
    """The request could not be made or its answer read; the message says why."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    elapsed_ms: int


def _allowed_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if settings.INTEGRATIONS_ALLOW_PRIVATE_URLS:
        return not ip.is_unspecified and not ip.is_multicast
    # is_global leaves out private, loopback, link-local, shared (CGNAT) and reserved ranges.
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> tuple[str, str, int]:
    """The URL's scheme, host and port, if it is an http(s) address Waymark may send to;
    else RefusedAddress. Only the form is checked here: resolve() checks where it leads."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise RefusedAddress("This is not a web address Waymark can use.") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedAddress("Use a web address starting with https:// (or http://).")
    if parts.username or parts.password:
        raise RefusedAddress("Leave the user name and password out of the address.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, if all of them are allowed; else RefusedAddress."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedAddress(f"The host {host} could not be found.") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    for address in addresses:
        if not _allowed_ip(ipaddress.ip_address(address.split("%")[0])):
            raise RefusedAddress(
                f"{host} leads to a private or local network address ({address}); "
                "Waymark only sends to addresses on the public internet."
            )
    if not addresses:
        raise RefusedAddress(f"The host {host} could not be found.")
    return addresses


def url_refusal(url: str) -> str | None:
    """Why Waymark would refuse this address, for a form to show; None if it would not."""
    try:
        _, host, port = check_url(url)
        resolve(host, port)
    except RefusedAddress as refused:
        return str(refused)
    return None


def _connection(scheme: str, host: str, port: int, address: str) -> http.client.HTTPConnection:
    """A connection to the checked `address`, speaking to `host` (its Host header and, for
    https, its certificate's name)."""
    timeout = settings.INTEGRATIONS_TIMEOUT_SECONDS
    sock = socket.create_connection((address, port), timeout=timeout)
    try:
        if scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=timeout
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
    except Exception:
        sock.close()
        raise
    # A connection that has its socket already does not open another one.
    connection.sock = sock
    return connection


def request(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """Make the request, following up to REDIRECTS redirects (a GET only). Raises
    RefusedAddress for an address Waymark does not send to, FetchFailed when it fails."""
    started = time.monotonic()
    limit = settings.INTEGRATIONS_MAX_RESPONSE_BYTES
    for _ in range(REDIRECTS + 1):
        scheme, host, port = check_url(url)
        address = resolve(host, port)[0]
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        try:
            connection = _connection(scheme, host, port, address)
            try:
                connection.request(method, target, body=body, headers=sent)
                response = connection.getresponse()
                content = response.read(limit + 1)
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            raise FetchFailed(_reason(error)) from error
        if len(content) > limit:
            raise FetchFailed(f"The answer was larger than {limit // 1024} KB.")
        location = response.getheader("Location")
        if method == "GET" and response.status in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            continue
        return Answer(
            status=response.status,
            body=content,
            content_type=response.getheader("Content-Type", ""),
            elapsed_ms=round((time.monotonic() - started) * 1000),
        )
    raise FetchFailed(f"More than {REDIRECTS} redirects.")


def _reason(error: Exception) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return f"No answer within {settings.INTEGRATIONS_TIMEOUT_SECONDS} seconds."
    if isinstance(error, ConnectionRefusedError):
        return "The server refused the connection."
    if isinstance(error, ssl.SSLError):
        return f"The secure connection failed: {error.reason or error}."
    return f"The request failed: {error}"
