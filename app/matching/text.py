"""Reading specialties out of a person's own words ("j'ai besoin d'aide pour mon CV").

Text and vocabulary are folded (lower case, no accents, punctuation as spaces), then every run
of 1 to n words is compared with the bilingual labels and synonyms of app.taxonomy. Exact
phrases win; near misses (typos, plurals) count by their rapidfuzz similarity. Longer phrases
are tried first and claim their words, so "maintien en emploi" reads as job retention and not
also as job search.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from rapidfuzz import fuzz, process

from app import folding
from app.taxonomy import SPECIALTIES

# Inflected forms that a plain similarity ratio scores too low against the taxonomy synonyms.
EXTRA_SYNONYMS: dict[str, tuple[str, ...]] = {
    "newcomer_integration": ("immigre", "immigree", "nouvelle arrivante", "arrive au quebec"),
    "job_search": ("travailler", "boulot", "job hunting", "chercher du travail"),
    "resume_interview": ("entrevue d'embauche", "entretien d'embauche", "job interview"),
    # Without these, "faire reconnaître mes diplômes" reads as "diplôme": return to school.
    "skills_recognition": (
        "reconnaitre",
        "faire reconnaitre",
        "reconnaitre mes diplomes",
        "reconnaitre mon diplome",
        "reconnaissance de mes diplomes",
        "credential recognition",
        "recognize my degree",
        "diplomes etrangers",
    ),
}

# Folded words joined by one space: "Retour aux Études!" -> "retour aux etudes".
fold = folding.fold_words

# Near misses shorter than this are too ambiguous ("dep" vs "de") and must match exactly.
MIN_FUZZY_LENGTH = 5
FUZZY_CUTOFF = 88.0
MAX_WORDS = 200  # bounds the cost of a pasted essay; a need is stated in the first lines


def _phrases() -> dict[str, str]:
    """Every folded label and synonym, mapped to its specialty code (first one wins)."""
    phrases: dict[str, str] = {}
    for term in SPECIALTIES:
        for phrase in (term.fr, term.en, *term.synonyms, *EXTRA_SYNONYMS.get(term.code, ())):
            folded = fold(phrase)
            if folded:
                phrases.setdefault(folded, term.code)
    return phrases


_PHRASE_CODE = _phrases()
_LENGTHS = sorted({len(p.split()) for p in _PHRASE_CODE}, reverse=True)
# Candidates for near misses, grouped by word count and first letter: a typo rarely hits the
# first letter, and grouping keeps "information" away from "formation".
_FUZZY_POOL: dict[tuple[int, str], list[str]] = defaultdict(list)
for _phrase in _PHRASE_CODE:
    _FUZZY_POOL[(len(_phrase.split()), _phrase[0])].append(_phrase)


def _best_phrase(ngram: str, words: int) -> tuple[str, float] | None:
    """The vocabulary phrase this run of words means, with its strength in 0..1, if any."""
    if ngram in _PHRASE_CODE:
        return ngram, 1.0
    if len(ngram) < MIN_FUZZY_LENGTH:
        return None
    pool = _FUZZY_POOL.get((words, ngram[0]))
    if not pool:
        return None
    found = process.extractOne(ngram, pool, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return None if found is None else (found[0], found[1] / 100.0)


@lru_cache(maxsize=2048)
def _interpret(text: str) -> tuple[tuple[str, float], ...]:
    tokens = fold(text).split()[:MAX_WORDS]
    claimed = [False] * len(tokens)
    strengths: dict[str, float] = {}
    for words in _LENGTHS:
        for start in range(len(tokens) - words + 1):
            if any(claimed[start : start + words]):
                continue
            found = _best_phrase(" ".join(tokens[start : start + words]), words)
            if found is None:
                continue
            code = _PHRASE_CODE[found[0]]
            strengths[code] = max(strengths.get(code, 0.0), round(found[1], 4))
            claimed[start : start + words] = [True] * words
    return tuple(sorted(strengths.items()))


def interpret_need_text(text: str | None) -> dict[str, float]:
    """Specialty codes named or described in free text, each with a strength in 0..1.

    Accent- and case-insensitive, French or English: "CV" and "entrevue" give
    resume_interview, "retour aux études" return_to_school, "réorientation" career_change,
    "immigrant" newcomer_integration. Words outside the vocabulary ("soudure") give nothing.
    Results are cached by text; the returned dict is a fresh copy.
    """
    if not text:
        return {}
    return dict(_interpret(text))
