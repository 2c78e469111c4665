"""Reading the files staff really have: `.xlsx` workbooks, CSV from any Excel, JSON.

A file becomes a `Table`: its kind and the facts worth telling the person (encoding,
separator, sheet), the header row as written, and the data rows numbered as a spreadsheet
shows them (header = row 1). JSON keeps its records as they are. Each refusal is an
`InvalidInput` with a code from the `problems` catalogue.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from app.errors import InvalidInput, UnsupportedMediaType
from app.hsds import package as hsds_package

# Generous for a directory of ~100 centres; bounded so that a hostile file fails fast.
MAX_COLUMNS = 60
MAX_CELL_CHARS = 5000
MAX_EMPTY_ROWS = 1000  # in a row: a sheet formatted down to row 1,048,576 is refused
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
MAX_ZIP_RATIO = 500  # uncompressed / compressed, per member: beyond it, a zip bomb
MAX_ZIP_MEMBERS = 2000

XLSX_TYPES = ("spreadsheetml", "ms-excel", "officedocument")
MACRO_PARTS = ("xl/vbaProject.bin", "xl/macrosheets/")
MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"')

Cell = str | int | float | bool | None


class FormulaCell(str):
    """A cell that holds a formula rather than a value: reported at its row and column."""

    __slots__ = ()


@dataclass
class Table:
    """An import file once read."""

    kind: str  # "xlsx", "csv" or "json"
    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)  # JSON only
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None


def read_file(
    raw: bytes, *, filename: str = "", content_type: str = "", sheet: str | None = None
) -> Table:
    """The kind comes from the bytes themselves (a workbook is a zip, JSON starts with `{`),
    then from the name or type: a CSV renamed `.txt` or sent as `application/octet-stream`
    is read all the same."""
    name, ctype = filename.lower(), content_type.lower()
    if raw.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE container of .xls (Excel 97–2003)
        raise UnsupportedMediaType("import_xls_legacy")
    if raw.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        return read_xlsx(raw, sheet=sheet)
    if any(t in ctype for t in XLSX_TYPES) and "csv" not in ctype:
        return read_xlsx(raw, sheet=sheet)
    if name.endswith((".ods", ".numbers")) or "opendocument" in ctype:
        raise UnsupportedMediaType("import_format_unknown")
    text, encoding = decode(raw)
    if text.lstrip()[:1] in ("{", "[") and not name.endswith(".csv") and "csv" not in ctype:
        return Table("json", records=parse_json(text), encoding=encoding)
    return read_csv(text, encoding)


def decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else Windows-1252 (what French Excel writes as "CSV")."""
    if b"\x00" in raw[:4096]:
        raise InvalidInput("import_binary")
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InvalidInput("import_not_utf8", byte=exc.start + 3) from exc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:  # bytes Windows-1252 leaves undefined
        raise InvalidInput("import_encoding_unknown", byte=exc.start) from exc


def parse_json(text: str) -> list[Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("import_json_malformed", line=exc.lineno, column=exc.colno) from exc
    except RecursionError as exc:
        raise InvalidInput("import_json_too_deep") from exc
    if hsds_package.is_package(doc):  # an HSDS 3.0 data package (docs/hsds.md)
        return hsds_package.to_records(doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("centres"), list):
        raise InvalidInput("import_json_shape")
    if set(doc) != {"centres"}:
        raise InvalidInput("import_json_extra", fields=", ".join(sorted(set(doc) - {"centres"})))
    return list(doc["centres"])


def read_csv(text: str, encoding: str) -> Table:
    text = text.removeprefix("\ufeff")
    first = next(iter(text.splitlines()), "")
    separator = _separator(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    table = Table("csv", encoding=encoding, separator=separator)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise InvalidInput("import_no_header")
        _check_width(len(header))
        table.header = [h.strip() for h in header]
        _collect(table, ((reader.line_num, list(cells)) for cells in reader))
    except csv.Error as exc:
        raise InvalidInput("import_csv_malformed", row=reader.line_num, reason=str(exc)) from exc
    return table


def _separator(header: str) -> str:
    """The header's separator: `;` (French Excel), `,`, or a tab, whichever it holds most."""
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _collect(table: Table, rows: Iterator[tuple[int, list[Cell]]]) -> None:
    """Keep the rows that hold something, refusing over-long cells and runs of empty rows."""
    empty = 0
    width = len(table.header)
    for number, cells in rows:
        if not any(c is not None and str(c).strip() for c in cells):
            empty += 1
            if empty > MAX_EMPTY_ROWS:
                raise InvalidInput("import_too_many_empty_rows", row=number, limit=MAX_EMPTY_ROWS)
            continue
        empty = 0
        if len(cells) > width and any(c not in (None, "") for c in cells[width:]):
            raise InvalidInput("import_row_too_wide", row=number, columns=width)
        for cell in cells:
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                raise InvalidInput("import_cell_too_long", row=number, limit=MAX_CELL_CHARS)
        table.rows.append((number, cells[:width]))


def _check_width(columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise InvalidInput("import_too_many_columns", columns=columns, limit=MAX_COLUMNS)


# --- workbooks -------------------------------------------------------------------------------


def read_xlsx(raw: bytes, *, sheet: str | None = None) -> Table:
    """The first sheet (or `sheet`), streamed by openpyxl in read-only mode, after the zip
    itself has been checked: no macros, no bomb, no merged cells."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InvalidInput("import_xlsx_damaged") from exc
    with archive:
        _check_archive(archive)
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise InvalidInput("import_xlsx_damaged") from exc
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise InvalidInput("import_sheet_unknown", sheet=sheet, sheets=", ".join(names))
        chosen = sheet or names[0]
        _check_merged(raw, names.index(chosen))
        return _read_sheet(book[chosen], chosen)
    finally:
        book.close()


def _check_archive(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise InvalidInput("import_xlsx_bomb")
    names = [m.filename for m in members]
    if "[Content_Types].xml" not in names:
        raise InvalidInput("import_xlsx_damaged")
    if any(n.startswith(MACRO_PARTS) for n in names):
        raise UnsupportedMediaType("import_xlsx_macros")
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_UNZIPPED_BYTES or (member.file_size > 1_000_000 and ratio > MAX_ZIP_RATIO):
            raise InvalidInput("import_xlsx_bomb")
    types = archive.read("[Content_Types].xml")
    if b"macroEnabled" in types:
        raise UnsupportedMediaType("import_xlsx_macros")


def _check_merged(raw: bytes, index: int) -> None:
    """Merged cells hide a value from every cell but the first: refuse them, naming where.
    Read-only openpyxl does not report them, so the sheet's XML is searched as a stream."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        part = _sheet_part(archive, index)
        if part is None:
            return
        tail = b""
        with archive.open(part) as stream:
            while chunk := stream.read(1 << 20):
                found = MERGE.search(tail + chunk)
                if found:
                    raise InvalidInput("import_merged_cells", cells=found.group(1).decode())
                tail = chunk[-200:]


def _sheet_part(archive: zipfile.ZipFile, index: int) -> str | None:
    sheets = sorted(
        (n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
        key=lambda n: int(re.sub(r"\D", "", n)),
    )
    return sheets[index] if index < len(sheets) else None


def _read_sheet(ws: Any, name: str) -> Table:
    table = Table("xlsx", sheet=name)
    # The size a workbook states may be wrong (writers differ): rows past it would be
    # skipped without a word. Read every row instead, as far as the bounds above allow.
    ws.reset_dimensions()
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or not any(h not in (None, "") for h in header):
        raise InvalidInput("import_no_header")
    while header and header[-1] in (None, ""):
        header = header[:-1]
    _check_width(len(header))
    table.header = [_text(h) or "" for h in header]

    def numbered() -> Iterator[tuple[int, list[Cell]]]:
        for number, values in enumerate(rows, start=2):
            cells = [_cell(v) for v in values[: MAX_COLUMNS + 1]]
            yield number, cells

    _collect(table, numbered())
    return table


def _cell(value: Any) -> Cell:
    if isinstance(value, str) and value.startswith("="):
        return FormulaCell(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()
