"""Which inbox URLs the dispatcher may call (DESIGN §8)."""

from __future__ import annotations

import pytest

from app.dispatcher import inbox_url_problem


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
        "the URL must use http or https"
    )
