"""A live server for the browser tests, Debian's chromium through playwright, and axe-core.

A folder's conftest makes the browser available with
`from tests.helpers.browser import chromium  # noqa: F401`; a test opens a `Visit` on it.

Chromium is `/usr/bin/chromium` (Debian's package; `.ci/run` installs it), never a browser
downloaded by playwright. axe-core is the copy shipped inside the `axe-playwright-python`
package, injected into each page: nothing is fetched from the network."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.helpers.db import IN_CI
from tests.helpers.waiting import eventually

CHROMIUM = os.environ.get("TTX_TEST_CHROMIUM", "/usr/bin/chromium")
# Every WCAG 2.0–2.2 A and AA rule, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def need_chromium() -> str:
    """The browser to drive; skips (fails under CI) when it is not installed."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def axe_source() -> str:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("axe-playwright-python (which ships axe-core) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"
    return path.read_text(encoding="utf-8")


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free local port, in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    eventually(lambda: server.started or not thread.is_alive(), timeout=30)
    if not server.started:
        raise RuntimeError("the test server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def axe_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (rule, impact, the elements)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))",
        AXE_TAGS,
    )
    return list(result)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


class Visit:
    """One browser tab that records what the policy refused and what left the site, and
    checks every page it lands on."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.checked: list[str] = []
        self.axe = axe_source()
        self.page.on("console", self._console)
        self.page.on("request", self._request)
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # A page's own 4xx status (a form with errors, a 404 page) is logged too: _response
        # judges statuses, for everything but the pages themselves.
        if "Failed to load resource" in message.text:
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status}: {response.url}")

    def _request(self, request: Any) -> None:
        if not request.url.startswith(self.base):
            self.problems.append(f"left the site: {request.url}")

    def check_page(self) -> None:
        """axe-core finds nothing; 320 px wide needs no horizontal scrolling."""
        page = self.page
        violations = axe_violations(page, self.axe)
        assert violations == [], (page.url, violations)
        page.set_viewport_size({"width": 320, "height": 700})
        width = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size({"width": 1280, "height": 900})
        assert width <= 320, (page.url, width)
        assert self.problems == []
        self.checked.append(page.url)

    def tab_to(self, selector: str, limit: int = 120) -> None:
        """Press Tab until `selector` has the focus, checking the focus is visible."""
        page = self.page
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                outline = page.evaluate(
                    "() => { const s = getComputedStyle(document.activeElement);"
                    " return [s.outlineStyle, s.boxShadow]; }"
                )
                assert outline[0] != "none" or outline[1] != "none", (selector, outline)
                return
        raise AssertionError(f"Tab never reached {selector} on {page.url}")

    def type_into(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def press_on(self, selector: str, key: str = "Enter") -> None:
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
