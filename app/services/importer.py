"""Directory import (DESIGN §5): JSON or CSV, upsert by ref, all or nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from app.errors import InvalidInput, pydantic_errors
from app.models import Centre, Location
from app.schemas.directory import CentreIn, ImportReport
from app.services.centres import (
    Rules,
    apply_fields,
    check_inbox,
    get_centre_by_ref,
    mark_directory_changed,
    resolve_locations,
)

LIST_FIELDS = ("languages", "modes", "regions_served", "specialties", "client_groups")
LOCATION_FIELDS = ("address", "municipality", "postal_code", "lat", "lon")
MAX_RECORDS = 5000

Progress = Callable[[int], None]


def parse_file(raw: bytes, *, filename: str = "", content_type: str = "") -> list[Any]:
    """Decode an import file into raw records (dicts), JSON or CSV by type or name."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("import_not_utf8", byte=exc.start) from exc
    is_csv = "csv" in content_type or filename.lower().endswith(".csv")
    records = _parse_csv(text) if is_csv else _parse_json(text)
    if len(records) > MAX_RECORDS:
        raise InvalidInput("import_too_many", limit=MAX_RECORDS, count=len(records))
    return records


def _parse_json(text: str) -> list[Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("import_json_malformed", line=exc.lineno, column=exc.colno) from exc
    except RecursionError as exc:
        raise InvalidInput("import_json_too_deep") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("centres"), list):
        raise InvalidInput("import_json_shape")
    if set(doc) != {"centres"}:
        extra = sorted(set(doc) - {"centres"})
        raise InvalidInput("import_json_extra", fields=", ".join(extra))
    return list(doc["centres"])


def _parse_csv(text: str) -> list[Any]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "ref" not in reader.fieldnames:
        raise InvalidInput("import_csv_no_ref")
    try:
        return [_csv_record(row) for row in reader]
    except csv.Error as exc:
        raise InvalidInput("import_csv_malformed", row=reader.line_num, reason=str(exc)) from exc


def _csv_record(row: dict[str | None, Any]) -> dict[str, Any]:
    if None in row:
        raise csv.Error(f"row {row.get('ref')!r} has more cells than the header")
    cells = {k: v.strip() for k, v in row.items() if k is not None and v and v.strip()}
    record: dict[str, Any] = {}
    location: dict[str, Any] = {}
    inbox: dict[str, Any] = {}
    for key, value in cells.items():
        if key in LIST_FIELDS:
            record[key] = [part.strip() for part in value.split(";") if part.strip()]
        elif key in LOCATION_FIELDS:
            location[key] = value
        elif key in ("inbox_url", "inbox_secret"):
            inbox[key.removeprefix("inbox_")] = value
        else:
            record[key] = value
    record["locations"] = [location] if location else []
    if inbox:
        record["inbox"] = inbox
    return record


def validate_records(
    records: Iterable[Any],
) -> tuple[list[tuple[int, CentreIn]], list[dict[str, Any]]]:
    """Validate every record; return the valid ones and every error with its record and field."""
    valid: list[tuple[int, CentreIn]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        ref = record.get("ref") if isinstance(record, dict) else None
        try:
            centre = CentreIn.model_validate(record)
        except ValidationError as exc:
            errors.extend(
                _record_error(index, ref, e["loc"], e["type"], e["ctx"], e["msg"])
                for e in pydantic_errors(list(exc.errors()))
            )
            continue
        if centre.ref in seen:
            first = seen[centre.ref]
            errors.append(_record_error(index, ref, ["ref"], "ref_duplicate", {"first": first}))
            continue
        seen[centre.ref] = index
        valid.append((index, centre))
    return valid, errors


def _record_error(
    index: int, ref: Any, loc: list[Any], code: str, ctx: dict[str, Any], msg: str = ""
) -> dict[str, Any]:
    ref = ref if isinstance(ref, str) else None
    return {"record": index, "ref": ref, "loc": loc, "type": code, "ctx": ctx, "msg": msg}


def import_records(
    session: Session,
    records: list[Any],
    *,
    rules: Rules | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert every record by ref, or none: any invalid record fails the whole import."""
    rules = rules or Rules()
    centres, errors = validate_records(records)
    placed: list[tuple[CentreIn, list[Location]]] = []
    for index, centre in centres:
        try:
            check_inbox(centre.inbox, ["inbox", "url"], production=rules.production)
            locations = resolve_locations(centre.locations, ["locations"], geocode=rules.geocode)
            placed.append((centre, locations))
        except InvalidInput as exc:
            for err in exc.errors or []:
                code, ctx = err.get("type", exc.code), err.get("ctx", exc.params)
                errors.append(_record_error(index, centre.ref, err["loc"], code, ctx))
        if progress:
            progress(1)
    if errors:
        errors.sort(key=lambda e: e["record"])
        records_wrong = len({e["record"] for e in errors})
        raise InvalidInput(
            "import_invalid", errors=errors, count=len(errors), records=records_wrong
        )
    created = updated = 0
    for data, locations in placed:
        existing = get_centre_by_ref(session, data.ref)
        row = existing or Centre(ref=data.ref, name=data.name)
        apply_fields(session, row, data, locations)
        session.add(row)
        created, updated = (created, updated + 1) if existing else (created + 1, updated)
    mark_directory_changed(session)
    session.flush()
    return ImportReport(created=created, updated=updated, refs=[c.ref for c, _ in placed])
