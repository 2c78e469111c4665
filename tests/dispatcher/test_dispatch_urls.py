"""Which inbox URLs the dispatcher may call (DESIGN §8)."""

from __future__ import annotations

import pytest

from app.dispatcher import inbox_url_problem, url_syntax_problem


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8765/inbox", "http://localhost/x", "https://inbox.example.org/ttx"],
)
def test_development_allows_http_and_loopback(url: str) -> None:
    assert inbox_url_problem(url, production=False) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://inbox.example.org/ttx", "the URL must use https"),
        ("https://127.0.0.1/inbox", "the address is not public"),
        ("https://10.1.2.3/inbox", "the address is not public"),
        ("https://[::1]/inbox", "the address is not public"),
        ("https://localhost/inbox", "the host is local"),
        ("https://ttx.localhost/inbox", "the host is local"),
        ("https:///inbox", "the URL has no host"),
    ],
)
def test_production_refuses_plain_http_and_private_hosts(url: str, problem: str) -> None:
    assert inbox_url_problem(url, production=True) == problem


def test_production_accepts_a_public_https_address() -> None:
    assert inbox_url_problem("https://8.8.8.8/inbox", production=True) is None
    assert inbox_url_problem("https://inbox.example.org/ttx", production=True) is None


def test_ftp_is_never_an_inbox() -> None:
    assert inbox_url_problem("ftp://example.org/", production=False) == (
        "the URL must start with http:// or https://"
    )


MALFORMED = {
    "control character": "http://127.0.0.1:8765/in\x00box",
    "DEL": "http://127.0.0.1:8765/in\x7fbox",
    "newline (header splitting)": "http://127.0.0.1/inbox\r\nX-Evil: 1",
    "tab in host": "http://exa\tmple.org/",
    "space": "http://exa mple.org/",
    "non-ASCII host": "http://exemple-é.org/inbox",
    "backslash": "http://example.org\\@evil.example/",
    "no scheme": "example.org/inbox",
    "one slash": "http:/example.org/inbox",
    "port too big": "http://127.0.0.1:99999/inbox",
    "port zero": "http://127.0.0.1:0/inbox",
    "port not a number": "http://127.0.0.1:80a/inbox",
    "empty port": "http://example.org:/inbox",
    "IPv6 without closing bracket": "http://[::1/inbox",
    "IPv6 without brackets": "http://::1/inbox",
    "bad IPv6 literal": "http://[::g]/inbox",
    "IPv6 zone id": "http://[fe80::1%25eth0]/inbox",
    "junk after IPv6": "http://[::1]x/inbox",
    "stray bracket": "http://exa]mple.org/",
    "empty label": "http://a..example.org/",
    "leading dot": "http://.example.org/",
    "trailing dot": "http://example.org./",
    "label too long": "http://" + "a" * 64 + ".example.org/",
    "name too long": "http://" + ".".join(["a" * 60] * 5) + "/",
    "underscore": "http://in_box.example.org/",
    "hyphen at label end": "http://inbox-.example.org/",
    "short IPv4": "http://127.1/inbox",
    "hex IPv4": "http://0x7f.0.0.1/inbox",
    "integer IPv4": "http://2130706433/inbox",
    "octal IPv4": "http://0177.0.0.1/inbox",
    "IPv4 out of range": "http://256.1.1.1/inbox",
    "credentials": "http://user:pw@example.org/inbox",
    "fragment": "http://example.org/inbox#x",
    "bad percent escape": "http://example.org/in%zzbox",
    "quote in path": 'http://example.org/in"box',
    "no host": "http:///inbox",
    "too long": "https://example.org/" + "a" * 2000,
    "empty": "",
}


@pytest.mark.parametrize("url", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("production", [False, True])
def test_malformed_urls_are_refused_everywhere(url: str, production: bool) -> None:
    assert url_syntax_problem(url)
    assert inbox_url_problem(url, production=production, resolve=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/inbox",
        "HTTPS://Inbox.Example.ORG/ttx?centre=12&x=%2F",
        "https://[2001:db8::1]:8443/inbox",
        "https://xn--exemple-9ua.org/boîte".replace("î", "%C3%AE"),
        "https://inbox.example.org",
        "https://1.2.3.4/",
    ],
)
def test_well_formed_urls_pass(url: str) -> None:
    assert url_syntax_problem(url) is None


def test_a_label_the_idna_codec_refuses_is_a_problem_not_an_exception() -> None:
    # 64 characters in one label passes neither the syntax check nor the resolver: no raise.
    assert inbox_url_problem("https://" + "b" * 64 + ".org/", production=True, resolve=True)
