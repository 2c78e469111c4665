"""Reading the files staff have: workbooks written by openpyxl, CSV from French and English
Excel in UTF-8 (with and without BOM) and Windows-1252, and hostile files refused clearly."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from app.errors import AppError
from app.services.import_files import FormulaCell, read_file
from app.services.import_template import template_xlsx
from app.services.importer import load as parse_file

HEADER_FR = [
    "Référence",
    "Nom",
    "Régions desservies",
    "Langues",
    "Municipalité",
    "Capacité hebdomadaire",
]
ROW_FR = ["CCE-Laval", "Centre fictif de Laval", "13", "fr; en", "Laval", "20"]


def workbook(rows: list[list[Any]], *, sheet: str = "Centres", extra: Any = None) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    if extra:
        extra(book, ws)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parsed(raw: bytes, **kwargs: Any) -> tuple[Any, Any]:
    loaded = parse_file(raw, **kwargs)
    return loaded.table, loaded.records


def refused(raw: bytes, **kwargs: Any) -> AppError:
    with pytest.raises(AppError) as caught:
        parse_file(raw, **kwargs)
    return caught.value


def test_a_workbook_is_read_with_spreadsheet_row_numbers() -> None:
    raw = workbook([HEADER_FR, ROW_FR, [None] * 6, ["cce-2", "Deux", 3, "fr", "Québec", 5.0]])
    table, records = parsed(raw, filename="centres.xlsx")
    assert table.kind == "xlsx" and table.sheet == "Centres"
    assert [r.number for r in records] == [2, 4]  # the empty row 3 is skipped, not renumbered
    assert records[1].raw[1][2] == 3  # a number as Excel stores it; the columns read it


def test_a_named_sheet_and_an_unknown_one() -> None:
    def second(book: Any, ws: Any) -> None:
        other = book.create_sheet("Autres")
        other.append(HEADER_FR)
        other.append(["autre-1", "Autre", "06", "fr", "Montréal", 1])

    raw = workbook([HEADER_FR, ROW_FR], extra=second)
    table, records = parsed(raw, sheet="Autres")
    assert table.sheet == "Autres" and records[0].raw[1][0] == "autre-1"
    error = refused(raw, sheet="Feuil9")
    assert error.code == "import_sheet_unknown" and "Centres, Autres" in error.text("fr")


@pytest.mark.parametrize(
    ("encoding", "separator", "bom"),
    [("utf-8", ",", False), ("utf-8", ";", True), ("cp1252", ";", False), ("cp1252", ",", False)],
)
def test_csv_in_the_encodings_and_separators_excel_writes(
    encoding: str, separator: str, bom: bool
) -> None:
    lines = [separator.join(HEADER_FR), separator.join(f'"{c}"' if ";" in c else c for c in ROW_FR)]
    raw = ("\r\n".join(lines) + "\r\n").encode(encoding)
    raw = b"\xef\xbb\xbf" + raw if bom else raw
    table, records = parsed(raw, filename="centres.csv")
    assert table.kind == "csv" and table.separator == separator
    assert (
        table.encoding
        == {"cp1252": "windows-1252", "utf-8": "utf-8-sig" if bom else "utf-8"}[encoding]
    )
    assert table.header[0] == "Référence" and records[0].raw[1][4] == "Laval"


def test_the_template_reads_back_as_an_import() -> None:
    table, records = parsed(template_xlsx(), filename="modele.xlsx")
    assert table.sheet == "Centres" and len(records) == 1
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template_xlsx()))
    assert book.sheetnames == ["Centres", "Codes", "Lisez-moi"]
    header = book["Centres"]["A1"]
    assert header.value == "Référence" and "(ref)" in header.comment.text
    assert "Reference" in header.comment.text  # the note is in French and English
    assert book["Centres"].data_validations.dataValidation  # drop-down lists


def test_formula_cells_are_kept_apart_to_be_reported() -> None:
    raw = workbook([HEADER_FR, ["f-1", '=CONCAT("a","b")', "04", "fr", "Trois-Rivières", 1]])
    table, records = parsed(raw)
    assert isinstance(records[0].raw[1][1], FormulaCell)


def test_merged_cells_are_refused_naming_them() -> None:
    raw = workbook([HEADER_FR, ROW_FR, ROW_FR], extra=lambda b, ws: ws.merge_cells("B2:B3"))
    error = refused(raw)
    assert error.code == "import_merged_cells" and "B2:B3" in error.text("fr")


def test_a_million_empty_rows_are_refused_quickly() -> None:
    # The shape of a sheet "formatted" to its last row: rows that hold nothing.
    rows = "".join(f'<row r="{n}"><c r="A{n}" s="0"/></row>' for n in range(3, 1_000_001))
    raw = _patched_sheet(workbook([HEADER_FR, ROW_FR]), rows)
    error = refused(raw)
    assert error.code == "import_too_many_empty_rows"


def test_macro_workbooks_and_old_xls_are_refused() -> None:
    raw = workbook([HEADER_FR, ROW_FR])
    with_macros = _add_member(raw, "xl/vbaProject.bin", b"\x00" * 100)
    assert refused(with_macros, filename="c.xlsm").code == "import_xlsx_macros"
    assert refused(with_macros).status == 415
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert refused(old, filename="c.xls").code == "import_xls_legacy"


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    raw = _add_member(workbook([HEADER_FR, ROW_FR]), "xl/media/big.bin", b"\x00" * 100_000_000)
    assert len(raw) < 1_000_000
    assert refused(raw).code == "import_xlsx_bomb"


def test_damaged_and_unknown_files_are_refused() -> None:
    assert refused(b"PK\x03\x04garbage").code == "import_xlsx_damaged"
    assert refused(b"\x00\x01binary", filename="x.csv").code == "import_binary"
    assert refused(b"ref;nom\n\x81\x8d\x8f", filename="x.csv").code == "import_encoding_unknown"
    assert refused(b"", filename="x.csv").code == "import_no_header"
    assert refused(b"ref,name\n", filename="x.csv").code == "import_empty"
    assert refused(b'ref,name\n"x,y\n', filename="x.csv").code == "import_csv_malformed"


def test_unknown_and_repeated_columns_are_reported_by_letter() -> None:
    error = refused(b"Nom,Couleur,Nom\nx,y,z\n", filename="x.csv")
    assert error.code == "import_header_invalid"
    found = {(e.get("column"), e["type"]) for e in error.errors or []}
    assert found == {("B", "import_column_unknown"), ("C", "import_column_twice"),
                     (None, "import_column_missing")}  # fmt: skip


def test_json_is_recognised_by_its_content() -> None:
    table = read_file(b'{"centres": []}', filename="export.txt")
    assert table.kind == "json" and table.records == []


def _add_member(raw: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr(name, data)
    return out.getvalue()


def _patched_sheet(raw: bytes, extra_rows: str) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", extra_rows.encode() + b"</sheetData>")
                data = re.sub(
                    rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:F1000000"/>', data
                )
            target.writestr(item, data)
    return out.getvalue()
