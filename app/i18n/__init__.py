"""Languages: French first, English too.

Every user-facing text (pages, e-mails, problem documents, CLI messages) is a key looked up in
the gettext catalogues under `app/i18n/locales/<lang>/LC_MESSAGES/<domain>.po`: one domain per
area (`common`, `web`, `problems`, `mail`, …), so each area keeps its own file. A key is a
dotted name (`web.home.title`); its text may hold `{name}` placeholders filled by keyword.
`tests/test_i18n.py` fails when a key lacks its twin in the other language, when the two
texts name different placeholders, or when code or a template uses a key no catalogue has.

    from app.i18n import gettext as _
    _("web.results.count", "fr", n=3)
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Final, Literal

from babel import Locale
from babel.messages.pofile import read_po

Lang = Literal["fr", "en"]
LANGS: Final[tuple[Lang, ...]] = ("fr", "en")
DEFAULT_LANG: Final[Lang] = "fr"
LOCALES_DIR: Final = Path(__file__).parent / "locales"

log = logging.getLogger("ttx")


@cache
def catalogue(lang: Lang) -> dict[str, str]:
    """Every key of every domain for `lang`. Two domains defining one key is a bug: it raises."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if not message.id or not isinstance(message.id, str):
                    continue
                if message.id in messages:
                    raise ValueError(f"{path.name}: key {message.id!r} is defined twice")
                messages[message.id] = str(message.string)
    return messages


def lang_of(value: str | None) -> Lang:
    """A supported language from a code such as `en`, `en-CA` or `fr_CA.UTF-8`; else French."""
    if value:
        head = value.strip().replace("_", "-").split("-")[0].split(".")[0].lower()
        for lang in LANGS:
            if head == lang:
                return lang
    return DEFAULT_LANG


def negotiate(accept_language: str | None, default: Lang = DEFAULT_LANG) -> Lang:
    """The best supported language of an `Accept-Language` header (RFC 9110 q-values)."""
    if not accept_language:
        return default
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate(accept_language[:1000].split(",")[:30]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if not 0 < quality <= 1:
            continue
        head = tag.strip().split("-")[0].lower()
        lang = next((known for known in LANGS if known == head), None)
        if lang is None and head == "*":
            lang = default
        if lang is not None and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, lang)
    return best[2] if best else default


def gettext(key: str, lang: Lang = DEFAULT_LANG, /, **params: object) -> str:
    """The text of `key` in `lang`, with its `{placeholders}` filled.

    A key missing from `lang` falls back on the other language, then on the key itself (and a
    warning): a page never fails for want of a sentence; the catalogue test catches it first.
    """
    text = catalogue(lang).get(key)
    if not text:
        other: Lang = "en" if lang == "fr" else "fr"
        text = catalogue(other).get(key)
        log.warning("i18n: no %s text for %r", lang, key)
        if not text:
            return key
    return text.format(**params) if params else text


def ngettext(key: str, count: int, lang: Lang = DEFAULT_LANG, /, **params: object) -> str:
    """`key.one` or `key.other` by the language's plural rule (French: 0 and 1 are singular)."""
    form = "one" if Locale.parse(lang).plural_form(abs(count)) == "one" else "other"
    return gettext(f"{key}.{form}", lang, n=count, **params)


def both(key: str, /, **params: object) -> dict[Lang, str]:
    """The text in every language, for the documents that carry both (`{"fr": …, "en": …}`)."""
    return {lang: gettext(key, lang, **params) for lang in LANGS}
