"""`/docs` and `/redoc` work with no request leaving the host: a real browser (Debian's
chromium, driven by playwright) loads each page from a real server on 127.0.0.1, every
request it makes is recorded, and anything not for that server is refused and reported."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

from app.main import create_app
from app.settings import Settings
from tests.helpers.db import IN_CI
from tests.helpers.waiting import wait_until

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("docs") / "ttx.db"
    shutil.copy(sqlite_template, path)
    app = create_app(Settings(database_url=f"sqlite:///{path}"), embedded_dispatcher=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    assert wait_until(lambda: running.started, 30), "the server did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: browser tests may not skip under CI")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def visit(browser: object, base: str, path: str, ready: str) -> tuple[list[str], list[str], int]:
    """Open `path`, wait for `ready` to show; return the requests made, those refused for
    leaving the host, and how many `ready` elements there are."""
    host = urlsplit(base).netloc
    seen: list[str] = []
    refused: list[str] = []
    page = browser.new_page()  # type: ignore[attr-defined]

    def route(request_route: object) -> None:
        url = request_route.request.url  # type: ignore[attr-defined]
        seen.append(url)
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != host:
            refused.append(url)
            request_route.abort()  # type: ignore[attr-defined]
        else:
            request_route.continue_()  # type: ignore[attr-defined]

    page.route("**/*", route)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + path)
    page.wait_for_selector(ready, timeout=60_000)
    count = page.locator(ready).count()
    page.close()
    assert errors == [], errors
    return seen, refused, count


def test_swagger_ui_loads_offline(browser: object, server: str) -> None:
    seen, refused, operations = visit(browser, server, "/docs", ".opblock")
    assert refused == []
    assert any(url.endswith("/openapi.json") for url in seen)
    assert operations >= 40  # every operation of the document is listed


def test_redoc_loads_offline(browser: object, server: str) -> None:
    seen, refused, _ = visit(browser, server, "/redoc", "[data-section-id]")
    assert refused == []
    assert any(url.endswith("/openapi.json") for url in seen)


def test_the_pages_forbid_other_sites(server: str) -> None:
    import httpx

    for path in ("/docs", "/redoc"):
        answer = httpx.get(server + path)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "cdn" not in answer.text and "https://" not in answer.text
