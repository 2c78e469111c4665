"""`ttx import`: the template, a dry run, errors by row and column in French or English, no
cap on the number of centres, and the progress bar on large files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import db
from app.cli import main
from app.models import Centre
from app.settings import get_settings

HEADER = "Référence;Nom;Régions desservies;Municipalité;Capacité hebdomadaire"


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TTX_DATABASE_URL", db_url)
    monkeypatch.setenv("TTX_EMBEDDED_DISPATCHER", "false")
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield db_url
    db.get_engine().dispose()
    db.get_engine.cache_clear()
    get_settings.cache_clear()


def centres(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Centre)) or 0


def write_csv(path: Path, *rows: str, encoding: str = "cp1252") -> Path:
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding))
    return path


def test_template_then_dry_run_then_import(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "centres.xlsx"
    assert main(["import", "--template", str(template)]) == 0
    assert template.read_bytes().startswith(b"PK")
    assert main(["import", "--dry-run", str(template)]) == 0
    out = capsys.readouterr().out
    assert "Essai à blanc" in out and "cce-exemple-1" in out and centres(engine) == 0
    assert main(["import", str(template)]) == 0
    assert "1 nouveau" in capsys.readouterr().out and centres(engine) == 1


def test_errors_name_row_and_column_in_the_chosen_language(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_csv(tmp_path / "c.csv", "ok-1;Centre fictif;4;Trois-Rivières;20",
                    "ko-1;Centre fictif;99;Trois-Rivières;beaucoup")  # fmt: skip
    assert main(["import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Ligne 3, colonne C (Régions desservies) « 99 »" in err
    assert "Ligne 3, colonne E (Capacité hebdomadaire) « beaucoup »" in err
    assert "rien n'a été importé" in err
    assert main(["import", "--lang", "en", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Row 3, column C (Régions desservies) '99'" in err and "nothing was imported" in err
    assert centres(engine) == 0


def test_unreadable_and_hostile_files_are_refused_plainly(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "absent.xlsx")]) == 1
    assert "impossible de lire" in capsys.readouterr().err
    macro = tmp_path / "c.xlsm"
    macro.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    assert main(["import", str(macro)]) == 1
    assert "Enregistrer sous" in capsys.readouterr().err


def test_no_cap_on_the_number_of_centres(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"many-{i};Centre fictif {i};04;Trois-Rivières;10" for i in range(5200)]
    assert main(["import", str(write_csv(tmp_path / "many.csv", *rows, encoding="utf-8"))]) == 0
    captured = capsys.readouterr()
    assert "5200 centre(s)" in captured.out, captured
    assert "centre/s" in captured.err  # the progress bar
    assert centres(engine) == 5200
