"""The codes of the contract (DESIGN §4) as the pages show them: labels in the page's language,
options for the forms."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import Any

from app.i18n import Lang
from app.taxonomy import CLIENT_GROUPS, LANGUAGES, MODES, REGION_BY_CODE, REGIONS, SPECIALTIES, Term

# The public forms offer these groups; `general` (everyone) is what ticking nothing means.
_FORM_GROUPS = tuple(t for t in CLIENT_GROUPS if t.code != "general")


def _label(term: Term, lang: Lang) -> str:
    return term.en if lang == "en" else term.fr


@cache
def _by_code(lang: Lang) -> dict[str, dict[str, str]]:
    return {
        kind: {t.code: _label(t, lang) for t in terms}
        for kind, terms in (
            ("specialties", SPECIALTIES),
            ("client_groups", CLIENT_GROUPS),
            ("languages", LANGUAGES),
            ("modes", MODES),
            ("regions", REGIONS),
        )
    }


def label(kind: str, code: str, lang: Lang) -> str:
    return _by_code(lang)[kind].get(code, code)


def region_name(code: str, lang: Lang) -> str:
    term = REGION_BY_CODE.get(code)
    return _label(term, lang) if term else code


def options(lang: Lang, *, languages: Collection[str]) -> dict[str, list[tuple[str, str]]]:
    """(code, label) pairs for each choice of the search and request forms."""
    langs = sorted(
        ((t.code, _label(t, lang)) for t in LANGUAGES if t.code in languages),
        key=lambda pair: (pair[0] not in ("fr", "en"), pair[1]),
    )
    return {
        "needs": [(t.code, _label(t, lang)) for t in SPECIALTIES],
        "groups": [(t.code, _label(t, lang)) for t in _FORM_GROUPS],
        "modes": [(t.code, _label(t, lang)) for t in MODES],
        "languages": langs,
    }


def labels_of(centre: dict[str, Any], lang: Lang) -> dict[str, list[str]]:
    """A centre's codes as labels, for its card and its page."""
    return {
        kind: [label(kind, code, lang) for code in centre.get(kind, [])]
        for kind in ("specialties", "client_groups", "languages", "modes")
    }
