"""Which inbox URLs may be called (DESIGN §8): in production only `https` to public addresses;
in development `http` and loopback too, so a local receiver can be used."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

LOCAL_NAMES = {"localhost", "localhost.localdomain"}


def inbox_url_problem(url: str, *, production: bool, resolve: bool = False) -> str | None:
    """Why `url` may not be an inbox endpoint, or `None` when it may.

    With `resolve`, a host name is looked up and every address it resolves to must be public
    (use it when an endpoint is registered; the dispatcher itself does not resolve).
    """
    parts = urlsplit(url)
    allowed = {"https"} if production else {"https", "http"}
    if parts.scheme not in allowed:
        return "the URL must use " + " or ".join(sorted(allowed))
    host = (parts.hostname or "").lower()
    if not host:
        return "the URL has no host"
    if not production:
        return None
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return "the host is local"
    if _is_ip(host):
        return None if ipaddress.ip_address(host).is_global else "the address is not public"
    if resolve:
        return _resolved_problem(host, parts.port or 443)
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolved_problem(host: str, port: int) -> str | None:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        return "the host name does not resolve"
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if not ipaddress.ip_address(address).is_global:
            return "the host name resolves to an address that is not public"
    return None
