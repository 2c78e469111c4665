"""SSRF: in production, inbox URLs reach only public addresses, checked at registration and
again at every delivery, where the connection goes to the address that was checked."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from app.dispatcher import urls
from app.dispatcher.delivery import Job, attempt_delivery
from app.dispatcher.urls import inbox_url_problem

# A fake DNS for names the attacker controls: each resolves to an internal address.
FAKE_DNS = {
    "rebind.example.org": ["127.0.0.1"],
    "internal.example.org": ["10.0.0.5"],
    "metadata.example.org": ["169.254.169.254"],
    "mixed.example.org": ["93.184.215.14", "192.168.0.10"],
    "v6local.example.org": ["::1"],
    "mapped.example.org": ["::ffff:127.0.0.1"],
    "cgnat.example.org": ["100.64.1.1"],
    "decimal.example.org": ["127.0.0.1"],
    "public.example.org": ["93.184.215.14"],
}

VECTORS = [
    "http://93.184.215.14/inbox",  # plain http
    "https://127.0.0.1/inbox",
    "https://127.1.2.3/inbox",
    "https://localhost/inbox",
    "https://api.localhost/inbox",
    "https://10.0.0.1/inbox",
    "https://172.16.5.4/inbox",
    "https://192.168.1.1/inbox",
    "https://169.254.169.254/latest/meta-data/",
    "https://169.254.10.10/inbox",
    "https://100.64.0.1/inbox",
    "https://0.0.0.0/inbox",
    "https://224.0.0.1/inbox",
    "https://255.255.255.255/inbox",
    "https://240.0.0.1/inbox",
    "https://192.0.2.10/inbox",
    "https://198.51.100.10/inbox",
    "https://203.0.113.10/inbox",
    "https://198.18.0.1/inbox",
    "https://[::1]/inbox",
    "https://[::]/inbox",
    "https://[fe80::1]/inbox",
    "https://[fc00::1]/inbox",
    "https://[fd00:ec2::254]/inbox",
    "https://[::ffff:127.0.0.1]/inbox",
    "https://[::ffff:169.254.169.254]/inbox",
    "https://[64:ff9b::a00:1]/inbox",
    "https://[2002:7f00:1::]/inbox",
    "https://[2001:db8::1]/inbox",
    "https://[ff02::1]/inbox",
    "https://user:pass@93.184.215.14/inbox",
    "https://rebind.example.org/inbox",
    "https://internal.example.org/inbox",
    "https://metadata.example.org/inbox",
    "https://mixed.example.org/inbox",
    "https://v6local.example.org/inbox",
    "https://mapped.example.org/inbox",
    "https://cgnat.example.org/inbox",
    "https://unknown-host.example.org/inbox",
    "ftp://93.184.215.14/inbox",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
]


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def lookup(host: str, port: int) -> list[str]:
        if host not in FAKE_DNS:
            raise urls.UnsafeAddress("the host name does not resolve")
        return FAKE_DNS[host]

    monkeypatch.setattr(urls, "_lookup", lookup)


def test_registration_refuses_every_vector() -> None:
    refused = {url: inbox_url_problem(url, production=True, resolve=True) for url in VECTORS}
    accepted = [url for url, problem in refused.items() if problem is None]
    print(f"\nSSRF vectors refused at registration: {len(VECTORS) - len(accepted)}/{len(VECTORS)}")
    assert accepted == []
    assert (
        inbox_url_problem("https://public.example.org/inbox", production=True, resolve=True) is None
    )
    assert inbox_url_problem("https://93.184.215.14:8443/x", production=True, resolve=True) is None


def test_development_allows_local_receivers() -> None:
    assert inbox_url_problem("http://127.0.0.1:8765/inbox", production=False) is None


def job(url: str) -> Job:
    return Job(
        event_id=uuid.uuid4(), webhook_id="msg_" + uuid.uuid4().hex, attempt=1,
        endpoint_id=uuid.uuid4(), url=url, secret="whsec_" + "A" * 32, body=b"{}", pin=True,
    )  # fmt: skip


def deliver(url: str, dns: dict[str, list[str]]) -> tuple[list[httpx.Request], str]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async def resolver(host: str, port: int) -> list[str]:
        return dns.get(host, [])

    async def run() -> str:
        async with httpx.MockTransport(handler) as transport:
            result = await attempt_delivery(
                transport, job(url), timeout_seconds=5, now=lambda: datetime.now(UTC),
                resolver=resolver,
            )  # fmt: skip
        return result.outcome + ":" + (result.error or "")

    return seen, asyncio.run(run())


def test_delivery_refuses_a_name_that_rebound_to_an_internal_address() -> None:
    # Registered while it pointed to a public address; now it points inside.
    seen, outcome = deliver("https://inbox.example.org/ttx", {"inbox.example.org": ["10.1.2.3"]})
    assert seen == [] and outcome.startswith("failure:refused")
    seen, outcome = deliver("https://inbox.example.org/ttx", {"inbox.example.org": []})
    assert seen == [] and outcome.startswith("failure:refused")


def test_delivery_connects_to_the_checked_address() -> None:
    dns = {"inbox.example.org": ["93.184.215.14"]}
    seen, outcome = deliver("https://inbox.example.org:8443/ttx?x=1", dns)
    assert outcome == "success:"
    (request,) = seen
    assert request.url.host == "93.184.215.14" and request.url.port == 8443
    assert request.url.path == "/ttx" and request.url.query == b"x=1"
    assert request.headers["host"] == "inbox.example.org:8443"
    assert request.extensions["sni_hostname"] == "inbox.example.org"
