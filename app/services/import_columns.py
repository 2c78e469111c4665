"""The columns of a directory spreadsheet: names in French or English, cells read as people
type them (a region `3` is `03`, a capacity `20.0` is 20, `46,343` is a latitude), turned into
the records `CentreCreate` validates (DESIGN §5), each remembering its row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from app import folding
from app.errors import InvalidInput
from app.services.import_files import Cell, Table
from app.taxonomy import CLIENT_GROUPS, LANGUAGES, MODES, REGIONS, SPECIALTIES, Term


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    fr: str
    en: str
    kind: str = "text"  # text, list, int, float, bool, ref


# In the template's order; the French label is the template's header.
COLUMNS: Final[tuple[Column, ...]] = (
    Column("ref", "Référence", "Reference", "ref"),
    Column("name", "Nom", "Name"),
    Column("email", "Courriel", "Email"),
    Column("phone", "Téléphone", "Phone"),
    Column("website", "Site Web", "Website"),
    Column("description_fr", "Description (français)", "Description (French)"),
    Column("description_en", "Description (anglais)", "Description (English)"),
    Column("languages", "Langues", "Languages", "list"),
    Column("modes", "Modes de service", "Modes", "list"),
    Column("intake_status", "Accueil", "Intake status"),
    Column("weekly_capacity", "Capacité hebdomadaire", "Weekly capacity", "int"),
    Column("regions_served", "Régions desservies", "Regions served", "list"),
    Column("specialties", "Spécialités", "Specialties", "list"),
    Column("client_groups", "Clientèles", "Client groups", "list"),
    Column("age_min", "Âge minimum", "Minimum age", "int"),
    Column("age_max", "Âge maximum", "Maximum age", "int"),
    Column("address", "Adresse", "Address"),
    Column("municipality", "Municipalité", "Municipality"),
    Column("postal_code", "Code postal", "Postal code"),
    Column("lat", "Latitude", "Latitude", "float"),
    Column("lon", "Longitude", "Longitude", "float"),
    Column("inbox_url", "Adresse du webhook", "Inbox URL"),
    Column("inbox_secret", "Secret du webhook", "Inbox secret"),
    Column("notify_emails", "Courriels des avis", "Notification emails", "list"),
    Column("active", "Actif", "Active", "bool"),
)
BY_FIELD: Final = {c.field: c for c in COLUMNS}
LOCATION_FIELDS: Final = ("address", "municipality", "postal_code", "lat", "lon")
EXTRA_NAMES: Final = {
    "reference": "ref", "ref": "ref", "code": "ref", "identifiant": "ref",
    "nom du centre": "name", "centre": "name", "e-mail": "email", "mail": "email",
    "telephone": "phone", "tel": "phone", "site": "website", "site internet": "website",
    "langues parlees": "languages", "modes": "modes", "statut": "intake_status",
    "statut d'accueil": "intake_status", "capacite": "weekly_capacity",
    "regions": "regions_served", "region": "regions_served", "services": "specialties",
    "specialites": "specialties", "clienteles": "client_groups", "clientele": "client_groups",
    "age min": "age_min", "age max": "age_max", "ville": "municipality", "city": "municipality",
    "code postal": "postal_code", "postcode": "postal_code", "zip": "postal_code",
    "lng": "lon", "long": "lon", "webhook": "inbox_url", "url du webhook": "inbox_url",
    "url de la boite de reception": "inbox_url", "secret": "inbox_secret",  # nosec B105  # a column name
    "actif": "active", "courriels de notification": "notify_emails",
    "adresses des avis": "notify_emails", "notify emails": "notify_emails",
}  # fmt: skip
TRUE: Final = {"1", "true", "vrai", "oui", "yes", "o", "y", "x", "actif", "active"}
FALSE: Final = {"0", "false", "faux", "non", "no", "n", "inactif", "inactive"}
INTAKE: Final = {"ouvert": "open", "open": "open", "pause": "paused", "en pause": "paused",
                 "paused": "paused", "ferme": "paused", "complet": "paused"}  # fmt: skip
LIST_SPLIT: Final = re.compile(r"\s*[;,|\n]\s*")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower case, no accents, single spaces, `_`/`-` as spaces: how headers are compared."""
    return " ".join(folding.fold(text).replace("_", " ").replace("’", "'").split())


def _names() -> dict[str, str]:
    names = {fold(k): v for k, v in EXTRA_NAMES.items()}
    for c in COLUMNS:
        for label in (c.field, c.fr, c.en):
            names[fold(label)] = c.field
    return names


NAMES: Final = _names()


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def map_header(header: list[str]) -> list[str | None]:
    """Each column's field, from its name in French or English (`Référence`, `ref`,
    `Régions desservies (regions_served)`); every unknown or repeated name is reported."""
    fields: list[str | None] = []
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            fields.append(None)
            continue
        inner = re.search(r"\(([^()]+)\)\s*$", name)
        field = NAMES.get(fold(name)) or (NAMES.get(fold(inner.group(1))) if inner else None)
        where = {"row": 1, "column": column_letter(i), "header": name}
        if field is None:
            problems.append({**where, "type": "import_column_unknown", "ctx": {"header": name}})
        elif field in seen:
            first = column_letter(seen[field])
            ctx = {"header": name, "first": first}
            problems.append({**where, "type": "import_column_twice", "ctx": ctx})
        else:
            seen[field] = i
        fields.append(field)
    if "ref" not in seen:
        problems.append({"row": 1, "type": "import_column_missing", "ctx": {"header": "ref"}})
    if problems:
        raise InvalidInput("import_header_invalid", errors=problems)
    return fields


def _code_index(terms: tuple[Term, ...]) -> dict[str, str]:
    index = {}
    for t in terms:
        for label in (t.code, t.fr, t.en):
            index[fold(label)] = t.code
    return index


CODES: Final[dict[str, dict[str, str]]] = {
    "regions_served": _code_index(REGIONS),
    "specialties": _code_index(SPECIALTIES),
    "client_groups": _code_index(CLIENT_GROUPS),
    "languages": _code_index(LANGUAGES),
    "modes": _code_index(MODES),
}


@lru_cache(maxsize=4096)
def list_cell(field: str, value: Cell) -> tuple[str, ...]:
    """A list cell: codes or labels, separated by `;` (or `,`, `|`, a line break)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        parts = [_number_text(value)]
    else:
        parts = [p for p in LIST_SPLIT.split(str(value).strip()) if p]
    known = CODES.get(field, {})
    out = []
    for part in parts:
        if field == "regions_served" and re.fullmatch(r"\d{1,2}(?:[.,]0+)?", part):
            part = f"{int(part.split('.')[0].split(',')[0]):02d}"  # Excel drops the zero
        out.append(known.get(fold(part), part.lower() if field != "regions_served" else part))
    return tuple(out)


def _number_text(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def scalar_cell(column: Column, value: Cell) -> Any:
    """A one-value cell as the schema expects it; what cannot be read is left as typed, so
    validation reports it with its own message."""
    if isinstance(value, str):
        value = value.strip()
    if column.kind == "int":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+(?:[.,]0+)?", value):
            return int(re.split(r"[.,]", value)[0])
        return value
    if column.kind == "float":
        if isinstance(value, str) and re.fullmatch(r"-?\d+,\d+", value):
            return float(value.replace(",", "."))  # a French decimal comma
        return value
    if column.kind == "bool":
        text = fold(str(value))
        return True if text in TRUE else False if text in FALSE else value
    if column.kind == "ref":
        return _number_text(value).lower() if isinstance(value, int | float) else str(value)
    if column.field == "intake_status":
        return INTAKE.get(fold(str(value)), str(value).lower())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_text(value)  # a phone or postal code typed as a number
    return value


def row_record(fields: list[str | None], cells: list[Cell]) -> dict[str, Any]:
    """One row as a DESIGN §5 record: one location, an inbox when its URL is given."""
    record: dict[str, Any] = {}
    location: dict[str, Any] = {}
    inbox: dict[str, Any] = {}
    for field, value in zip(fields, cells, strict=False):
        if field is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        column = BY_FIELD[field]
        if column.kind == "list":
            converted: Any = list(list_cell(field, value))
        else:
            converted = scalar_cell(column, value)
        if field in LOCATION_FIELDS:
            location[field] = converted
        elif field.startswith("inbox_"):
            inbox[field.removeprefix("inbox_")] = converted
        else:
            record[field] = converted
    record["locations"] = [location] if location else []
    if inbox:
        record["inbox"] = inbox
    return record


def field_column(loc: list[Any]) -> str | None:
    """The spreadsheet field a validation error's `loc` points at."""
    if not loc:
        return None
    head = str(loc[0])
    if head == "locations":
        tail = [p for p in loc[1:] if isinstance(p, str)]
        return tail[0] if tail else "municipality"
    if head == "inbox":
        tail = [p for p in loc[1:] if isinstance(p, str)]
        return f"inbox_{tail[0]}" if tail else "inbox_url"
    return head if head in BY_FIELD else None


def headers_for(table: Table) -> dict[str, tuple[str, str]]:
    """field -> (column letter, header as written)."""
    fields = map_header(table.header)
    return {f: (column_letter(i), table.header[i]) for i, f in enumerate(fields) if f}
