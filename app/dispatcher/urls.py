"""Which inbox URLs may be called (DESIGN §8): in production only `https` to public addresses;
in development `http` and loopback too, so a local receiver can be used.

In production the check is made twice: when an endpoint is registered (`inbox_url_problem`
with `resolve=True`) and at every delivery (`resolve_public`), where the host is looked up,
every address it resolves to is checked, and the connection goes to the checked address, so
a name that later rebinds to an internal address is refused."""

from __future__ import annotations

import asyncio
import ipaddress
import re
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


MAX_URL_CHARS = 2000
# RFC 3986: what may follow the authority (path and query), `%` only as a valid escape.
_TAIL = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# What a URL parser or `inet_aton` would read as an IPv4 address: 1.2.3, 0x7f.1, 2130706433.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


def url_syntax_problem(url: str) -> str | None:
    """Why `url` is not a well-formed `http(s)` URL that every HTTP client reads alike, or
    `None`. The same in every environment, and never raises: the check made wherever an
    inbox URL comes in (API, import, a centre's own `PATCH`), so that nothing the dispatcher
    cannot send is ever stored.

    Strict on purpose: printable ASCII only (IDN hosts in their `xn--` form), no credentials,
    no fragment, a port from 1 to 65535, IPv6 only as a bracketed literal, host names of
    letters, digits and inner hyphens in labels of 1 to 63 characters (253 in all), and no
    number that some parser would read as an IPv4 address in another form."""
    if not isinstance(url, str) or not url:
        return "the URL is empty"
    if len(url) > MAX_URL_CHARS:
        return f"the URL is longer than {MAX_URL_CHARS} characters"
    bad = next((c for c in url if not "!" <= c <= "~"), None)
    if bad is not None:
        return (
            f"the URL holds a space, a control or a non-ASCII character ({bad!r}); "
            "percent-encode it (host names in their xn-- form)"
        )
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return "the URL must start with http:// or https://"
    authority, tail = _split_authority(rest)
    if "#" in tail:
        return "the URL may not have a fragment (#…)"
    if not _TAIL.fullmatch(tail):
        return "the URL's path or query holds a character that must be percent-encoded"
    if "@" in authority:
        return "the URL may not carry credentials"
    return _authority_problem(authority)


def _split_authority(rest: str) -> tuple[str, str]:
    for i, char in enumerate(rest):
        if char in "/?#":
            return rest[:i], rest[i:]
    return rest, ""


def _authority_problem(authority: str) -> str | None:
    if authority.startswith("["):
        literal, closed, after = authority[1:].partition("]")
        if not closed:
            return "the IPv6 address is missing its closing bracket"
        if not _is_ipv6(literal):
            return "the host between brackets is not a valid IPv6 address"
        if after and not after.startswith(":"):
            return "unexpected characters after the IPv6 address"
        return _port_problem(after[1:]) if after else None
    host, colon, port = authority.partition(":")
    if colon:
        problem = _port_problem(port)
        if problem:
            return problem
    return host_problem(host)


def _port_problem(port: str) -> str | None:
    if not port:
        return "the port is empty"
    if not port.isascii() or not port.isdigit() or len(port) > 5 or not 1 <= int(port) <= 65535:
        return "the port must be a number from 1 to 65535"
    return None


def host_problem(host: str) -> str | None:
    """Why `host` (no brackets, no port) is not a valid host name or IPv4 address."""
    if not host:
        return "the URL has no host"
    if "[" in host or "]" in host:
        return "brackets belong only around an IPv6 address"
    name = host.lower()
    if len(name) > 253:
        return "the host name is longer than 253 characters"
    labels = name.split(".")
    if any(not label for label in labels):
        return "the host name has an empty label (a leading, trailing or doubled dot)"
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None if _is_dotted_quad(name) else "the host is not a valid IPv4 address"
    for label in labels:
        if len(label) > 63:
            return "a label of the host name is longer than 63 characters"
        if not _LABEL.fullmatch(label):
            return (
                "the host name may hold only letters, digits and hyphens (not at either end "
                "of a label)"
            )
    return None


def _is_dotted_quad(name: str) -> bool:
    parts = name.split(".")
    return len(parts) == 4 and all(
        p.isdigit() and len(p) <= 3 and int(p) <= 255 and (p == "0" or not p.startswith("0"))
        for p in parts
    )


def _is_ipv6(literal: str) -> bool:
    if "%" in literal:  # a zone id only means something on the sender's own machine
        return False
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def inbox_url_problem(url: str, *, production: bool, resolve: bool = False) -> str | None:
    """Why `url` may not be an inbox endpoint, or `None` when it may. Never raises.

    First `url_syntax_problem`; then, in production, `https` only, and a host that is
    public. With `resolve`, a host name is looked up and every address it resolves to must be
    public (at registration; deliveries check again with `resolve_public`).
    """
    problem = url_syntax_problem(url)
    if problem:
        return problem
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if production and scheme != "https":
        return "the URL must use https"
    if not production:
        return None
    host = (parts.hostname or "").lower()
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
    except (OSError, UnicodeError) as exc:  # UnicodeError: a label the IDNA codec refuses
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
