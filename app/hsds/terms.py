"""Our canonical codes (DESIGN §4) as HSDS taxonomies and taxonomy terms.

Five taxonomies: specialties, client groups, modes of service, intake status and the
administrative regions. A term's `code` is our code, its `name` the label in the language
asked for; its id is the same in both languages (`ids.term_id`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.hsds import ids
from app.i18n import Lang, gettext
from app.taxonomy import CLIENT_GROUPS, LANGUAGES, MODES, REGIONS, SPECIALTIES, Term

VERSION = "2026.1"
INTAKE = (
    Term("open", "Inscriptions ouvertes", "Taking new requests"),
    Term("paused", "Inscriptions suspendues", "Not taking new requests for now"),
)
KINDS: dict[str, tuple[Term, ...]] = {
    "specialty": SPECIALTIES,
    "client_group": CLIENT_GROUPS,
    "mode": MODES,
    "intake_status": INTAKE,
    "region": REGIONS,
}


@dataclass(frozen=True, slots=True)
class TermRef:
    """One term, where the mapping and the filters need it."""

    kind: str
    code: str
    id: str


TERM_BY_ID: dict[str, TermRef] = {
    ids.term_id(kind, t.code): TermRef(kind, t.code, ids.term_id(kind, t.code))
    for kind, terms in KINDS.items()
    for t in terms
}
TERM_ID = {(ref.kind, ref.code): ref.id for ref in TERM_BY_ID.values()}
TAXONOMY_IDS = {kind: ids.taxonomy_id(kind) for kind in KINDS}
KIND_BY_TAXONOMY = {v: k for k, v in TAXONOMY_IDS.items()}


def label(kind: str, code: str, lang: Lang) -> str:
    term = next(t for t in KINDS[kind] if t.code == code)
    return term.fr if lang == "fr" else term.en


def taxonomy(kind: str, lang: Lang) -> dict[str, Any]:
    return {
        "id": TAXONOMY_IDS[kind],
        "name": gettext(f"hsds.taxonomy.{kind}.name", lang),
        "description": gettext(f"hsds.taxonomy.{kind}.description", lang),
        "version": VERSION,
    }


def term(kind: str, code: str, lang: Lang, *, detail: bool = False) -> dict[str, Any]:
    """A taxonomy term; `detail` nests its taxonomy (the single-term answer)."""
    name = label(kind, code, lang)
    body: dict[str, Any] = {
        "id": TERM_ID[(kind, code)],
        "code": code,
        "name": name,
        "description": gettext(f"hsds.taxonomy.{kind}.term", lang, name=name),
        "taxonomy": kind,
        "taxonomy_id": TAXONOMY_IDS[kind],
        "language": lang,
    }
    if detail:
        body["taxonomy_detail"] = taxonomy(kind, lang)
    return body


def all_terms() -> list[tuple[str, str]]:
    """Every (kind, code), taxonomy by taxonomy, in the contract's order."""
    return [(kind, t.code) for kind, terms in KINDS.items() for t in terms]


LANGUAGE_BY_CODE = {t.code: t for t in LANGUAGES}


def language_label(code: str, lang: Lang) -> str:
    found = LANGUAGE_BY_CODE.get(code)
    if found is None:
        return code
    return found.fr if lang == "fr" else found.en
