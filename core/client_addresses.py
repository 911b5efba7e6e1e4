"""The address a request came from: the one answer that rate limits, user sessions and the
request log all use.

Behind a load balancer or reverse proxy every connection comes from the proxy, so the
client is in X-Forwarded-For. Anyone can send that header, so it is read only as far as
the proxies the operator trusts: TRUSTED_PROXY_COUNT of them, each appending the address
it was connected from, and (with TRUSTED_PROXY_NETWORKS) only when the connection itself
comes from one of those networks. Anything a client wrote to the left of that is ignored.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


@cache
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in spec)


def _is_trusted_proxy(address: str) -> bool:
    spec = tuple(settings.TRUSTED_PROXY_NETWORKS)
    if not spec:
        # A count alone: the operator says every connection comes through the proxies.
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(spec))


def client_address(request: HttpRequest) -> str:
    """The client's address, or the connection's when no proxy is trusted (or the
    connection did not come from one, or the header is shorter than the proxies)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0 or not _is_trusted_proxy(remote):
        return remote
    # The nearest proxy is the connection itself; the others wrote the header's last
    # entries, so the client is the entry `proxies` from the right (ipware counts the
    # proxies named in the header, hence one fewer).
    address, _ = get_client_ip(
        request,
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return address or remote
