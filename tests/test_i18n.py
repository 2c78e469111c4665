"""The catalogues: every French text has its English twin and the reverse, with the same
placeholders, and every key that code or a template uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from app.i18n import LANGS, LOCALES_DIR, catalogue, gettext, lang_of, negotiate, ngettext

APP = Path(__file__).resolve().parents[1] / "app"
# `_("web.home.title"`, `gettext("…"`, `both("…"`, and `ngettext("…"` / `n_("…"` (plural keys).
USE = re.compile(
    r"""\b(n_|ngettext|_|gettext|both)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']"""
)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_its_twin_with_the_same_placeholders() -> None:
    fr, en = catalogue("fr"), catalogue("en")
    assert sorted(set(fr) - set(en)) == [], "French keys without English text"
    assert sorted(set(en) - set(fr)) == [], "English keys without French text"
    assert [k for k in fr if not fr[k].strip() or not en[k].strip()] == []
    assert [k for k in fr if placeholders(fr[k]) != placeholders(en[k])] == []


def test_each_domain_exists_in_both_languages() -> None:
    domains = {
        lang: {p.name for p in (LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")} for lang in LANGS
    }
    assert domains["fr"] == domains["en"]


def test_every_key_used_in_code_and_templates_exists() -> None:
    known = set(catalogue("fr"))
    missing = []
    for path in APP.rglob("*"):
        if path.suffix not in {".py", ".html", ".txt", ".jinja"} or "i18n" in path.parts:
            continue
        for func, key in USE.findall(path.read_text(encoding="utf-8")):
            keys = [f"{key}.one", f"{key}.other"] if func in {"n_", "ngettext"} else [key]
            missing += [f"{path.relative_to(APP)}: {k}" for k in keys if k not in known]
    assert missing == []


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "fr"),
        ("", "fr"),
        ("en", "en"),
        ("en-CA,en;q=0.9,fr;q=0.8", "en"),
        ("fr;q=0.5, en;q=0.6", "en"),
        ("de, es", "fr"),
        ("*", "fr"),
        ("en;q=0", "fr"),
        ("en;q=banana, fr", "fr"),
        ("x" * 5000, "fr"),
    ],
)
def test_accept_language_is_negotiated(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


def test_language_codes_and_plurals() -> None:
    assert lang_of("en_CA.UTF-8") == "en" and lang_of("C.UTF-8") == "fr" and lang_of(None) == "fr"
    assert gettext("common.product", "en") == "Trouve ton X"
    assert gettext("no.such.key", "en") == "no.such.key"
    assert ngettext("no.such", 1, "fr") == "no.such.one"
    assert ngettext("no.such", 2, "en") == "no.such.other"
