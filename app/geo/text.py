"""Text normalisation for place names: what people type versus what the official list says.

`Trois-Rivières`, `trois rivieres`, `TROIS-RIVIERES` and `Trois Rivières` all fold to the same
tokens; `St`/`Ste`/`Sts`/`Stes` expand to `saint`/`sainte`/`saints`/`saintes`, so `St-Jean`
and `Saint-Jean` meet too.

Folding itself (case, accents, ligatures) is `app.folding`, shared with matching and search.
"""

from __future__ import annotations

from app import folding

ABBREVIATIONS: dict[str, str] = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "mt": "mont",
}

ARTICLES = frozenset({"le", "la", "les", "l"})

# Words that only say "in Québec": `Lévis, QC` or `Gatineau Québec` mean Lévis and Gatineau.
PROVINCE_WORDS = frozenset({"qc", "que", "quebec", "pq", "canada", "ca", "province"})


def tokens(text: str) -> tuple[str, ...]:
    """Folded words, hyphens/apostrophes/dots as separators, `St`-family abbreviations expanded."""
    return tuple(ABBREVIATIONS.get(w, w) for w in folding.words(text))


def key(words: tuple[str, ...]) -> str:
    """The comparison key: words glued together, so `Val d'Or`, `Val-d'Or` and `Valdor` meet."""
    return "".join(words)


def name_key(text: str) -> str:
    """`key(tokens(text))`: the exact-match key of a name."""
    return key(tokens(text))


SHORT_FORMS: dict[str, str] = {"saint": "st", "sainte": "ste", "saints": "sts", "saintes": "stes"}
# Words at the head of a name that say little about which place is meant.
GENERIC_WORDS = frozenset({"st", "ste", "sts", "stes", "lac", "mont", "notre", "dame", *ARTICLES})


def short_key(words: tuple[str, ...]) -> str:
    """The key with `Saint`/`Sainte` as `St`/`Ste`: what typo distances are counted on, so a
    slip in `St.` (`S.t-Godefroi`) or `Saint` costs one edit, not four."""
    return "".join(SHORT_FORMS.get(w, w) for w in words)


def distinctive_tail(words: tuple[str, ...]) -> str:
    """The short key past the generic head: `Sainte-Foy` → `foy`, `Lac-Saint-Jean` → `jean`."""
    short = [SHORT_FORMS.get(w, w) for w in words]
    start = 0
    while start < len(short) - 1 and short[start] in GENERIC_WORDS:
        start += 1
    return "".join(short[start:])


def without_article(words: tuple[str, ...]) -> tuple[str, ...]:
    """`Les Îles-de-la-Madeleine` is often typed `Iles-de-la-Madeleine`."""
    if len(words) > 1 and words[0] in ARTICLES:
        return words[1:]
    return words


def without_province(words: tuple[str, ...]) -> tuple[str, ...]:
    """Drop trailing words such as `QC` or `Québec, Canada`, unless nothing would remain."""
    end = len(words)
    while end > 1 and words[end - 1] in PROVINCE_WORDS:
        end -= 1
    return words[:end]


def is_province(text: str) -> bool:
    """True when a qualifier such as `(QC)` or `, Québec` only names the province."""
    words = tokens(text)
    return bool(words) and all(w in PROVINCE_WORDS for w in words)


def split_qualifiers(text: str) -> tuple[str, list[str]]:
    """`Saint-Donat (Matawinie), QC` → (`Saint-Donat`, [`Matawinie`]); province words dropped."""
    qualifiers: list[str] = []
    name = text.strip()
    while True:
        if name.endswith(")") and "(" in name:
            cut = name.index("(")
            qualifiers.append(name[cut + 1 : -1])
            name = name[:cut].strip()
        elif "," in name:
            name, _, tail = name.rpartition(",")
            qualifiers.append(tail)
            name = name.strip()
        else:
            break
    kept = [q.strip() for q in qualifiers if name_key(q) and not is_province(q)]
    return name, kept
