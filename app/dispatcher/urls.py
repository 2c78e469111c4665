"""Which inbox URLs may be called (DESIGN §8): in production only `https` to public addresses;
in development `http` and loopback too, so a local receiver can be used.

In production the check is made twice: when an endpoint is registered (`inbox_url_problem`
with `resolve=True`) and at every delivery (`resolve_public`), where the host is looked up,
every address it resolves to is checked, and the connection goes to the checked address, so
a name that later rebinds to an internal address is refused."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

LOCAL_NAMES = {"localhost", "localhost.localdomain"}
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
# IPv6 prefixes that carry an IPv4 address: the embedded address must be public too.
NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeAddress(ValueError):
    """The inbox host is, or resolves to, an address the service must not call."""


def inbox_url_problem(url: str, *, production: bool, resolve: bool = False) -> str | None:
    """Why `url` may not be an inbox endpoint, or `None` when it may.

    With `resolve`, a host name is looked up and every address it resolves to must be public
    (at registration; deliveries check again with `resolve_public`).
    """
    parts = urlsplit(url)
    allowed = {"https"} if production else {"https", "http"}
    if parts.scheme not in allowed:
        return "the URL must use " + " or ".join(sorted(allowed))
    if parts.username or parts.password:
        return "the URL may not carry credentials"
    host = (parts.hostname or "").lower()
    if not host:
        return "the URL has no host"
    if not production:
        return None
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return "the host is local"
    if _is_ip(host):
        return address_problem(host)
    if resolve:
        try:
            _check_all(host, _lookup(host, parts.port or 443))
        except UnsafeAddress as exc:
            return str(exc)
    return None


def address_problem(address: str) -> str | None:
    """Why this IP address may not be called, or `None` for a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(str(embedded)) and "the address embeds one that is not public"
    if ip in METADATA:
        return "the address is a cloud metadata service"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or ip.is_loopback:
        return "the address is not public"
    if ip.is_link_local or ip.is_private or not ip.is_global:
        return "the address is not public"
    return None


async def resolve_public(host: str, port: int, *, resolver: Resolver | None = None) -> str:
    """Look `host` up now and return an address to connect to, after checking that every
    address it resolves to is public; raise `UnsafeAddress` otherwise."""
    if _is_ip(host):
        problem = address_problem(host)
        if problem:
            raise UnsafeAddress(problem)
        return host
    addresses = await (resolver or _lookup_async)(host, port)
    return _check_all(host, addresses)


def _check_all(host: str, addresses: list[str]) -> str:
    if not addresses:
        raise UnsafeAddress("the host name does not resolve")
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise UnsafeAddress(f"{host} resolves to {address}: {problem}")
    return addresses[0]


def _lookup(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise UnsafeAddress("the host name does not resolve") from exc
    return [str(info[4][0]) for info in infos]


async def _lookup_async(host: str, port: int) -> list[str]:
    return await asyncio.to_thread(_lookup, host, port)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
