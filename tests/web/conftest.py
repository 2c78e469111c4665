"""The site's fixtures: a database holding the demo directory, and a client that reads forms."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db import make_engine, session_scope
from app.main import create_app
from app.paths import data_dir
from app.services import importer
from app.services.centres import Rules
from app.settings import Settings

HTML = {"Accept": "text/html,application/xhtml+xml"}


def seed_demo(url: str) -> None:
    """Load the committed demo directory, as `ttx seed-demo` does."""
    settings = Settings(database_url=url)
    engine = make_engine(settings)
    records = importer.parse_file(
        (data_dir() / "demo_centres.json").read_bytes(), filename="x.json"
    )
    with session_scope(engine) as session:
        importer.import_records(session, records, rules=Rules.from_settings(settings))
    engine.dispose()


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    seed_demo(f"sqlite:///{path}")
    return path


@pytest.fixture
def demo_url(request: pytest.FixtureRequest, demo_template: Path, tmp_path: Path) -> str:
    """A migrated database with the demo directory (SQLite; PostgreSQL when parametrised)."""
    if getattr(request, "param", "sqlite") == "postgres":
        from tests.conftest import _reset_postgres

        url: str = request.getfixturevalue("postgres_url")
        _reset_postgres(url)
        seed_demo(url)
        return url
    path = tmp_path / "site.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def site_settings(demo_url: str) -> Settings:
    return Settings(
        database_url=demo_url, embedded_dispatcher=False, rate_limit_public="100000/minute"
    )


@pytest.fixture
def site(site_settings: Settings) -> Iterator[TestClient]:
    app = create_app(site_settings, embedded_dispatcher=False)
    with TestClient(app, raise_server_exceptions=False, headers=HTML) as client:
        yield client


def form_fields(html: str, action: str | None = None) -> dict[str, list[str]]:
    """The (name, value) pairs a browser would send from the form posting to `action` (or the
    first form): inputs (checked ones for boxes), selected options and textareas."""
    forms = re.findall(r"<form\b([^>]*)>(.*?)</form>", html, re.S)
    chosen = next(
        (body for attrs, body in forms if action is None or f'action="{action}"' in attrs), None
    )
    assert chosen is not None, f"no form posting to {action}"
    pairs: list[tuple[str, str]] = []
    for tag in re.findall(r"<input\b[^>]*>", chosen):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]*)"', tag)
        if not name:
            continue
        if kind and kind.group(1) in ("checkbox", "radio") and " checked" not in tag:
            continue
        pairs.append((name.group(1), _unescape(value.group(1) if value else "")))
    for name, body in re.findall(
        r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', chosen, re.S
    ):
        pairs.append((name, _unescape(body)))
    for name, body in re.findall(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', chosen, re.S):
        selected = re.search(r'<option value="([^"]*)" selected', body)
        pairs.append((name, _unescape(selected.group(1)) if selected else ""))
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)
