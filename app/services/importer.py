"""Directory import (DESIGN §5): `.xlsx`, CSV or JSON; upsert by ref; all or nothing.

Every problem of a file is reported at once, by spreadsheet row and column (or JSON record
and field), with the value and what to do, in the reader's language; a file with any problem
writes nothing. A valid file is compared with the directory (new, updated with the fields
that change, unchanged, deactivated) and, unless it is a dry run, written in the session's
transaction with Core bulk INSERTs (`app.services.import_writer`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from app.errors import InvalidInput, pydantic_errors, render_errors
from app.i18n import DEFAULT_LANG, Lang, gettext, ngettext
from app.schemas.directory import CentreCreate, ImportChange, ImportFileInfo, ImportReport
from app.services import import_writer
from app.services.centres import Rules, check_inbox, location_rows
from app.services.import_columns import (
    BY_FIELD,
    column_letter,
    field_column,
    map_header,
    row_record,
)
from app.services.import_files import Cell, FormulaCell, Table, read_file

Progress = Callable[[int], None]
MAX_API_RECORDS = 50_000  # the API's bound; `ttx import` has none
MAX_SHOWN_VALUE = 120


@dataclass
class Record:
    """One centre of the file, where it came from, and what validation made of it."""

    number: int  # spreadsheet row (header = 1) or JSON record (first = 1)
    raw: Any
    where: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (letter, header)
    centre: CentreCreate | None = None
    active: bool | None = None
    locations: list[Any] = field(default_factory=list)
    cells: dict[str, Cell] = field(default_factory=dict)  # a spreadsheet's cells, as typed


@dataclass
class Loaded:
    """A file once read: its table (kind, encoding, separator, sheet) and its records."""

    table: Table
    records: list[Record]


def load(
    raw: bytes,
    *,
    filename: str = "",
    content_type: str = "",
    sheet: str | None = None,
    max_records: int | None = MAX_API_RECORDS,
) -> Loaded:
    """Read a file into its records, each with its row or record number."""
    with cycles_collected_after():
        return _load(raw, filename, content_type, sheet, max_records)


def _load(
    raw: bytes, filename: str, content_type: str, sheet: str | None, max_records: int | None
) -> Loaded:
    table = read_file(raw, filename=filename, content_type=content_type, sheet=sheet)
    if table.kind == "json":
        records = [Record(i, r) for i, r in enumerate(table.records, start=1)]
    else:
        fields = map_header(table.header)
        where = {f: (column_letter(i), table.header[i]) for i, f in enumerate(fields) if f}
        records = [Record(n, (fields, cells), where) for n, cells in table.rows]
    if max_records is not None and len(records) > max_records:
        raise InvalidInput("import_too_many", limit=max_records, count=len(records))
    if not records:
        raise InvalidInput("import_empty")
    return Loaded(table, records)


def parse_file(raw: bytes, *, filename: str = "", content_type: str = "") -> list[Any]:
    """A file's records as DESIGN §5 objects, for code and tests that build an import (the
    service reads files with `load`, which keeps each record's row)."""
    loaded = load(raw, filename=filename, content_type=content_type, max_records=None)
    return [r.raw if not isinstance(r.raw, tuple) else row_record(*r.raw) for r in loaded.records]


def import_records(
    session: Session,
    loaded: Loaded | list[Any],
    *,
    rules: Rules | None = None,
    dry_run: bool = False,
    lang: Lang = DEFAULT_LANG,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and place every record, compare with the directory, and write unless
    `dry_run`. Any problem raises `InvalidInput` with every error, and nothing is written.
    `loaded` may also be a list of JSON records (DESIGN §5), as code and tests build them."""
    with cycles_collected_after():
        return _import(session, loaded, rules, dry_run, lang, progress)


@contextmanager
def cycles_collected_after() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is read or imported.

    An import keeps every record alive until it commits; each automatic collection walks them
    all again, so the cost grows with the square of the file: a 50,000-centre file took 49 s
    with the collector and 14 s without (bench_import). Nothing here needs cycles collected
    early; the collector resumes (if it was on) when the block ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _import(
    session: Session,
    loaded: Loaded | list[Any],
    rules: Rules | None,
    dry_run: bool,
    lang: Lang,
    progress: Progress | None,
) -> ImportReport:
    if not isinstance(loaded, Loaded):
        records = [Record(i, r) for i, r in enumerate(loaded, start=1)]
        loaded = Loaded(Table("json", records=list(loaded)), records)
    table, records = loaded.table, loaded.records
    rules = rules or Rules()
    errors: list[dict[str, Any]] = []
    lowered = 0
    seen: dict[str, int] = {}
    for record in records:
        errors += validate_record(record, rules)
        raw_ref = record.raw.get("ref") if isinstance(record.raw, dict) else None
        if isinstance(raw_ref, str) and raw_ref.strip():
            key = raw_ref.strip().lower()
            lowered += int(key != raw_ref.strip())
            if key in seen:
                ctx = {"first": seen[key]}
                errors.append(_error(record, ["ref"], "ref_duplicate", ctx, raw_ref))
                record.centre = None
            else:
                seen[key] = record.number
        if progress:
            progress(1)
    if errors:
        raise InvalidInput(
            "import_invalid",
            errors=errors,
            count=len(errors),
            records=len({e.get("row", e.get("record")) for e in errors}),
        )
    valid = [r for r in records if r.centre is not None]
    plan = import_writer.plan(session, valid)
    if not dry_run:
        import_writer.write(session, plan, progress=progress)
    return _report(table, plan, dry_run=dry_run, lowered=lowered, lang=lang)


def validate_record(record: Record, rules: Rules) -> list[dict[str, Any]]:
    """Check one record and place its locations; its errors, or none (then `record.centre`
    and `record.locations` hold what will be written)."""
    raw = record.raw
    if isinstance(raw, tuple):
        fields, cells = raw
        formulas = _formulas(record, fields, cells)
        if formulas:
            return formulas
        raw = row_record(fields, cells)
        record.raw = raw
        record.cells = {f: c for f, c in zip(fields, cells, strict=False) if f}
    if not isinstance(raw, dict):
        return [_error(record, [], "import_record_not_object", {}, None)]
    values = dict(raw)
    active = values.pop("active", None)
    if isinstance(values.get("ref"), str):
        values["ref"] = values["ref"].strip().lower()
    try:
        centre = CentreCreate.model_validate(values)
    except ValidationError as exc:
        return [
            _error(record, e["loc"], e["type"], e["ctx"], _value(raw, e["loc"]), e["msg"])
            for e in pydantic_errors(list(exc.errors()))
        ]
    if active is not None and not isinstance(active, bool):
        return [_error(record, ["active"], "bool_parsing", {}, active)]
    record.active = active
    try:
        check_inbox(centre.inbox, ["inbox", "url"], production=rules.production)
        record.locations = location_rows(centre.locations, ["locations"], geocode=rules.geocode)
    except InvalidInput as exc:
        return [
            _error(record, e["loc"], e.get("type", exc.code), e.get("ctx", exc.params), None)
            for e in exc.errors or []
        ]
    record.centre = centre
    return []


def _formulas(record: Record, fields: list[str | None], cells: list[Cell]) -> list[dict[str, Any]]:
    out = []
    for f, cell in zip(fields, cells, strict=False):
        if isinstance(cell, FormulaCell):
            loc = [f] if f else []
            out.append(_error(record, loc, "import_formula", {}, str(cell)))
    return out


def _value(raw: Any, loc: list[Any]) -> Any:
    """The value the person typed at `loc`, as far as the record still holds it."""
    value = raw
    for part in loc:
        if (
            isinstance(value, dict)
            and part in value
            or isinstance(value, list)
            and isinstance(part, int)
            and 0 <= part < len(value)
        ):
            value = value[part]
        else:
            return None
    if isinstance(value, dict | list) and len(str(value)) > MAX_SHOWN_VALUE:
        return None
    return value


def _error(
    record: Record, loc: list[Any], code: str, ctx: dict[str, Any], value: Any, msg: str = ""
) -> dict[str, Any]:
    """One error, placed as the person sees the file: row and column, or record and field."""
    entry: dict[str, Any] = {}
    ref = record.raw.get("ref") if isinstance(record.raw, dict) else None
    name = field_column(list(loc))
    if record.where:
        entry["row"] = record.number
        if name in record.where:
            entry["column"], entry["header"] = record.where[name]
    else:
        entry["record"] = record.number
    if name in BY_FIELD:
        entry["field"] = name
    if name in record.cells:
        value = record.cells[name]
    if isinstance(value, str) and len(value) > MAX_SHOWN_VALUE:
        value = value[:MAX_SHOWN_VALUE] + "…"
    entry |= {"value": value, "ref": ref if isinstance(ref, str) else None, "loc": list(loc)}
    entry |= {"type": code, "ctx": ctx, "msg": msg}
    return entry


def _report(
    table: Table, plan: import_writer.Plan, *, dry_run: bool, lowered: int, lang: Lang
) -> ImportReport:
    changes = [
        ImportChange(ref=c.ref, action=c.action, fields=c.fields, row=c.number)
        for c in plan.changes
    ]
    counts = {a: sum(1 for c in changes if c.action == a) for a in import_writer.ACTIONS}
    notes = []
    if table.encoding and table.kind == "csv":
        notes.append(gettext("import.note.encoding", lang, encoding=table.encoding))
    if table.separator:
        shown = {"\t": gettext("import.note.tab", lang)}.get(table.separator, table.separator)
        notes.append(gettext("import.note.separator", lang, separator=shown))
    if table.sheet:
        notes.append(gettext("import.note.sheet", lang, sheet=table.sheet))
    if lowered:
        notes.append(ngettext("import.note.lowercase", lowered, lang))
    if dry_run:
        notes.append(gettext("import.note.dry_run", lang))
    return ImportReport(
        created=counts["new"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        deactivated=counts["deactivated"],
        dry_run=dry_run,
        refs=[c.ref for c in changes],
        changes=changes,
        file=ImportFileInfo(
            kind=table.kind,
            encoding=table.encoding,
            separator=table.separator,
            sheet=table.sheet,
            records=len(changes),
        ),
        notes=notes,
    )


def describe_errors(error: InvalidInput, lang: Lang) -> list[str]:
    """The CLI's lines for a refused file: where, the value, what to do."""
    lines = []
    for e in render_errors(error.errors or [], lang):
        place = _place(e, lang)
        value = e.get("value")
        shown = f" « {value} »" if value not in (None, "") and lang == "fr" else ""
        shown = f" '{value}'" if value not in (None, "") and lang == "en" else shown
        lines.append(
            f"  {place}{shown} : {e['msg']}" if lang == "fr" else f"  {place}{shown}: {e['msg']}"
        )
    return lines


def _place(e: dict[str, Any], lang: Lang) -> str:
    if "row" in e:
        column = e.get("column")
        header = e.get("header")
        if column:
            return gettext("import.place.cell", lang, row=e["row"], column=column, header=header)
        return gettext("import.place.row", lang, row=e["row"])
    field_name = ".".join(map(str, e.get("loc", []))) or "—"
    return gettext("import.place.record", lang, record=e.get("record"), field=field_name)
