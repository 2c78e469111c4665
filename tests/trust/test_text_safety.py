"""Text that reaches terminals, spreadsheets and logs, and names that display as they are."""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.dispatcher.demo_inbox import make_demo_inbox
from app.dispatcher.signing import signed_headers
from app.server import RedactQuery, log_config
from app.textsafe import csv_cell, csv_writer, for_terminal, invisible_problem
from tests.helpers.factories import centre_record

HOSTILE = "Zoé\x1b[2J\x1b[1;1H\x1b]0;pwned\x07\rCentre\x9b31m\u202eok\x08\x00"


def test_for_terminal_removes_escapes_and_controls() -> None:
    assert for_terminal(HOSTILE) == "ZoéCentreok"
    assert for_terminal("ligne 1\nligne\t2") == "ligne 1\nligne\t2"


def test_the_demo_inbox_prints_no_escape_sequence() -> None:
    inbox = make_demo_inbox("127.0.0.1", 0, out=io.StringIO())
    thread = threading.Thread(target=inbox.serve_forever, daemon=True)
    thread.start()
    try:
        payload = {
            "type": "referral.created",
            "timestamp": "2026-11-27T20:15:00Z",
            "data": {"person": {"first_name": HOSTILE}, "message": "\x1b[31mrouge\x1b[0m"},
        }
        body = json.dumps(payload).encode()
        headers = signed_headers(inbox.secret, "msg_hostile", body)
        assert httpx.post(inbox.url, content=body, headers=headers).status_code == 204
    finally:
        inbox.shutdown()
        inbox.server_close()
    printed = inbox.out.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in printed and "\x9b" not in printed and "\r" not in printed
    assert "\u202e" not in printed


def test_every_cli_command_writes_through_the_filter(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    # argparse's own error names the bad argument: it reaches the terminal cleaned.
    with pytest.raises(SystemExit):
        main(["keys", "revoke", "\x1b]0;pwned\x07x", "--nope"])
    out = capsys.readouterr()
    assert "\x1b" not in out.err and "\x07" not in out.err


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from app import db
    from app.settings import get_settings

    monkeypatch.setenv("TTX_DATABASE_URL", db_url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield db_url
    db.get_engine().dispose()
    db.get_engine.cache_clear()
    get_settings.cache_clear()


def test_a_command_printing_stored_text_prints_no_escape_sequence(
    cli_db: str, engine: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # A staff name with escape sequences: `ttx staff list` prints it with none left.
    assert main(["staff", "add", "luc@example.org", "--name", "Luc\x1b[2J\x1b]0;pwned\x07"]) == 0
    capsys.readouterr()
    assert main(["staff", "list"]) == 0
    printed = capsys.readouterr().out
    assert '"email": "luc@example.org"' in printed
    for control in ("\x1b", "\x9b", "\x07", "\x00", "\r"):
        assert control not in printed


@pytest.mark.parametrize("name", ["Luc\u202eXYZ", "Lu\u200bc", "\ufeffLuc"])
def test_invisible_characters_are_refused_in_staff_names(
    cli_db: str, engine: object, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert main(["staff", "add", "luc@example.org", "--name", name]) == 1
    assert "caractère invisible" in capsys.readouterr().err
    assert main(["staff", "list"]) == 0
    assert "luc@example.org" not in capsys.readouterr().out
    assert main(["staff", "add", "luc@example.org", "--name", "Luc Élodie"]) == 0


@pytest.mark.parametrize("value", ["=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_would_be_formulas_are_neutralised(value: str) -> None:
    assert csv_cell(value) == "'" + value
    stream = io.StringIO()
    csv_writer(stream).writerow([value, 3, None, "ok"])
    (row,) = csv.reader(io.StringIO(stream.getvalue()))
    assert row[0].startswith("'") and row[1:] == ["3", "", "ok"]


@pytest.mark.parametrize(
    "name", ["Centre\u202eXYZ", "Zo\u200bé", "Centre\u2066A\u2069", "\ufeffCentre", "A\u200dB"]
)
def test_invisible_characters_are_refused_in_names(
    client: TestClient, admin_headers: dict[str, str], name: str
) -> None:
    assert invisible_problem(name)
    answer = client.post(
        "/v1/admin/centres/import",
        json={"centres": [centre_record("invisible-1", name=name)]},
        headers=admin_headers,
    )
    assert answer.status_code == 422, answer.text
    assert "text_invisible" in answer.text and "caractère invisible" in answer.text
    person = {"first_name": name, "last_name": "Exemple", "email": "zoe@example.org"}
    request = {
        "person": person,
        "criteria": {"location": {"municipality": "Trois-Rivières"}},
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }
    assert client.post("/v1/consultations", json=request).status_code == 422


def test_accented_and_composed_names_are_kept(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert invisible_problem("Centre d'emploi Rivière-Éloïse — Ōtaki") is None
    record = centre_record("visible-1", name="Centre d'emploi Rivière-Éloïse")
    answer = client.post(
        "/v1/admin/centres/import", json={"centres": [record]}, headers=admin_headers
    )
    assert answer.status_code == 200, answer.text


def test_the_access_log_keeps_no_query_string() -> None:
    config = log_config()
    assert config["handlers"]["access"]["filters"] == ["redact_query"]
    assert config["filters"]["redact_query"]["()"] is RedactQuery
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactQuery())
    access = logging.getLogger("test.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        access.info(
            '%s - "%s %s HTTP/%s" %d', "192.0.2.1:5000", "GET",
            "/v1/locations/resolve?q=H2X+1Y4&api_key=ttx_secret", "1.1", 200,
        )  # fmt: skip
    finally:
        access.removeHandler(handler)
    line = stream.getvalue()
    assert "/v1/locations/resolve?…" in line
    assert "H2X" not in line and "ttx_secret" not in line


@pytest.mark.parametrize("label", ["Partenaire\u202eXYZ", "Parte\u200bnaire"])
def test_invisible_characters_are_refused_in_key_labels(
    client: TestClient, admin_headers: dict[str, str], label: str
) -> None:
    answer = client.post(
        "/v1/admin/keys", json={"role": "partner", "label": label}, headers=admin_headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "key_label_invisible"
    assert "caractère invisible" in answer.json()["detail"]
    kept = client.post(
        "/v1/admin/keys",
        json={"role": "partner", "label": "Partenaire Élodie"},
        headers=admin_headers,
    )
    assert kept.status_code == 201, kept.text
