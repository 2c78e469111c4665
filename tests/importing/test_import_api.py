"""`POST /v1/admin/centres/import` with the files staff have: every problem by row and column
in French (English on request), a dry run that writes nothing, all or nothing, the template."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Centre, CentreRegion, Location
from tests.helpers.db import both_backends

URL = "/v1/admin/centres/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["Référence", "Nom", "Régions desservies", "Langues", "Spécialités", "Clientèles",
          "Municipalité", "Code postal", "Capacité hebdomadaire", "Accueil"]  # fmt: skip


def row(ref: str, **changes: Any) -> list[Any]:
    values = {"Référence": ref, "Nom": f"Centre fictif {ref}", "Régions desservies": 4,
              "Langues": "fr; en", "Spécialités": "job_search; Réorientation de carrière",
              "Clientèles": "general", "Municipalité": "Trois-Rivières", "Code postal": "G9A 1A1",
              "Capacité hebdomadaire": 20.0, "Accueil": "ouvert"}  # fmt: skip
    values.update(changes)
    return [values[h] for h in HEADER]


def xlsx(*rows: list[Any]) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(client: TestClient, headers: dict[str, str], raw: bytes, ctype: str = XLSX,
         query: str = "", lang: str | None = None) -> Any:  # fmt: skip
    h = {**headers, "content-type": ctype} | ({"accept-language": lang} if lang else {})
    return client.post(URL + query, content=raw, headers=h)


def count(engine: Engine, model: Any = Centre) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@both_backends
def test_an_excel_workbook_imports_with_codes_as_excel_types_them(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    laval = {"Régions desservies": "13", "Municipalité": "Laval", "Code postal": "H7N 1A1"}
    done = send(client, admin_headers, xlsx(row("CCE-Laval", **laval), row("cce-mauricie-2")))
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["created"], body["updated"], body["refs"]) == (
        2,
        0,
        ["cce-laval", "cce-mauricie-2"],
    )
    assert body["file"]["kind"] == "xlsx" and any("minuscules" in n for n in body["notes"])
    found = client.get("/v1/centres?region=13").json()["items"][0]
    assert found["ref"] == "cce-laval" and found["regions_served"] == ["13"]
    assert found["specialties"] == ["career_change", "job_search"]  # a label read as its code
    renamed = row("cce-laval", **laval, Nom="Nouveau nom")
    same = row("CCE-MAURICIE-2", Nom="Centre fictif cce-mauricie-2")
    again = send(client, admin_headers, xlsx(renamed, same))
    changes = {c["ref"]: c for c in again.json()["changes"]}
    assert changes["cce-laval"]["action"] == "updated" and changes["cce-laval"]["fields"] == [
        "name"
    ]
    assert changes["cce-mauricie-2"]["action"] == "unchanged", changes
    assert count(engine) == 2 and count(engine, Location) == 2 and count(engine, CentreRegion) == 2


def test_a_french_excel_csv_in_windows_1252(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    cells = row("csv-1", **{"Régions desservies": "4"})
    line = ";".join(str(c) if ";" not in str(c) else f'"{c}"' for c in cells)
    text = ";".join(HEADER) + "\r\n" + line + "\r\n"
    done = send(client, admin_headers, text.encode("cp1252"), "text/csv")
    assert done.status_code == 200, done.text
    notes = " ".join(done.json()["notes"])
    assert "windows-1252" in notes and "« ; »" in notes


@both_backends
def test_every_problem_is_named_by_row_and_column_and_nothing_is_written(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    raw = xlsx(
        row("ok-1"),
        row("Pas valide!", **{"Régions desservies": "99"}),
        row("ok-1", **{"Capacité hebdomadaire": "beaucoup", "Code postal": "12345"}),
        row("far-1", **{"Municipalité": "Toronto", "Code postal": None}),
    )
    bad = send(client, admin_headers, raw)
    assert bad.status_code == 422 and bad.json()["code"] == "import_invalid"
    errors = bad.json()["errors"]
    where = {(e["row"], e.get("column"), e["type"]) for e in errors}
    assert (3, "A", "string_pattern_mismatch") in where
    assert (3, "C", "code_unknown_region") in where
    assert (4, "I", "int_parsing") in where and (4, "H", "string_pattern_mismatch") in where
    assert (4, "A", "ref_duplicate") in where
    assert any(e["row"] == 5 and e.get("column") == "G" for e in errors), errors
    ref_error = next(e for e in errors if e["row"] == 3 and e["column"] == "A")
    assert ref_error["value"] == "Pas valide!" and ref_error["header"] == "Référence"
    assert "cce-laval-1" in ref_error["msg"] and "^" not in ref_error["msg"]
    assert not any("Value error" in e["msg"] for e in errors)
    english = send(client, admin_headers, raw, lang="en").json()
    assert english["title"] == "Invalid input" and "nothing was imported" in english["detail"]
    assert {e["type"] for e in english["errors"]} == {e["type"] for e in errors}
    assert count(engine) == 0


def test_a_dry_run_says_what_would_change_and_writes_nothing(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    assert send(client, admin_headers, xlsx(row("d-1"), row("d-2"))).status_code == 200
    raw = xlsx(row("d-1", Nom="Autre nom"), row("d-2"), row("d-3"))
    preview = send(client, admin_headers, raw, query="?dry_run=true")
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["dry_run"] is True and (body["created"], body["updated"], body["unchanged"]) == (
        1,
        1,
        1,
    )
    assert count(engine) == 2
    names = {c["name"] for c in client.get("/v1/centres").json()["items"]}
    assert "Autre nom" not in names


def test_an_active_column_deactivates(client: TestClient, admin_headers: dict[str, str]) -> None:
    csv_text = (
        "ref;nom;régions desservies;municipalité;actif\r\n"
        "act-1;Centre fictif;04;Trois-Rivières;oui\r\n"
    )
    assert send(client, admin_headers, csv_text.encode(), "text/csv").status_code == 200
    off = send(client, admin_headers, csv_text.replace(";oui", ";non").encode(), "text/csv")
    assert off.json()["deactivated"] == 1 and off.json()["changes"][0]["fields"] == ["active"]
    assert client.get("/v1/centres?q=act-1").json()["total"] == 0


def test_hostile_workbooks_get_a_4xx_and_import_nothing(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    for raw, status in ((b"PK\x03\x04garbage", 422), (b"\xd0\xcf\x11\xe0" + b"\x00" * 600, 415)):
        answer = send(client, admin_headers, raw)
        assert answer.status_code == status and answer.json()["code"].startswith("import_")
        assert answer.headers["content-type"] == "application/problem+json"
    assert count(engine) == 0


def test_the_template_is_downloadable(client: TestClient, admin_headers: dict[str, str]) -> None:
    got = client.get("/v1/admin/centres/template.xlsx", headers=admin_headers)
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    assert "attachment" in got.headers["content-disposition"]
    assert load_workbook(io.BytesIO(got.content)).sheetnames[0] == "Centres"
    assert client.get("/v1/admin/centres/template.xlsx").status_code == 401
    done = send(client, admin_headers, got.content, query="?dry_run=true")
    assert done.status_code == 200 and done.json()["created"] == 1
