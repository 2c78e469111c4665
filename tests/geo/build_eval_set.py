"""Write tests/geo/eval_places.csv: a labelled set of what people type for a place.

    python tests/geo/build_eval_set.py

Rows (`query, expected, case`): `expected` is the official code of the municipality meant, a
region code prefixed `region:` for postal codes, or empty when no Québec place is meant (the
resolver must then answer `ambiguous` or not found, never `ok`). Cases:

- `locality`, `locality_plain`, `locality_typo`: every borough, former municipality, sector and
  neighbourhood of data/localities.csv as written, without accents / in other case, with one typo;
- `municipality`, `municipality_typo`: a sample of municipalities, from data/municipalities.csv;
- `postal`: a full postal code in every FSA of data/fsa.csv (an invented last half);
- `made_up`: invented place-like names; `foreign`: places outside Québec (EXAMPLES below).

A generated row whose text is exactly another real name (a typo that makes another town) is
left out: the right answer to it is that other town. The output is deterministic.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO)]

from app.geo.data import load_fsas, load_localities, load_municipalities  # noqa: E402
from app.geo.text import key, name_key, tokens, without_article  # noqa: E402
from tests.helpers.geo_mangle import change_case, one_typo, strip_accents  # noqa: E402

OUT = HERE / "eval_places.csv"
MUNICIPALITY_SAMPLE = 180

FOREIGN = (
    "Toronto", "Ottawa", "Vancouver", "Calgary", "Edmonton", "Winnipeg", "Regina", "Saskatoon",
    "Halifax", "Moncton", "Fredericton", "Charlottetown", "St. John's", "Kingston", "Hamilton",
    "London", "Sudbury", "Thunder Bay", "Timmins", "Kapuskasing", "Hearst", "Cornwall",
    "Hawkesbury", "Pembroke", "Barrie", "Oshawa", "Mississauga", "Brampton", "Markham",
    "Kelowna", "Whitehorse", "Yellowknife", "Iqaluit", "Edmundston", "Bathurst", "Caraquet",
    "Boston", "New York", "Chicago", "Miami", "Plattsburgh", "Burlington", "Paris", "Lyon",
    "Marseille", "Bordeaux", "Toulouse", "Bruxelles", "Genève", "Lausanne", "Port-au-Prince",
    "Casablanca", "Alger", "Tunis", "Dakar", "Bamako", "Beyrouth", "Bogotá", "Mexico", "Lima",
    "Madrid", "Barcelone", "Rome", "Berlin", "Londres", "Dublin", "Lisbonne", "Pékin", "Tokyo",
    "Manille", "Hanoï", "Kinshasa", "Abidjan", "Ontario", "Nouveau-Brunswick", "Acadie",
)  # fmt: skip
MADE_UP = (
    "Xyzville", "Brenouville", "Saint-Zorblin", "Sainte-Plouvette", "Lac-Vorniac",
    "Mont-Quibrac", "Notre-Dame-des-Zèbres", "Fleurbec-sur-Mer", "Grandpinsse", "Vallée-Tronc",
    "Boisgrognard", "Petit-Morvelin", "Saint-Gribouille", "Sainte-Aglantine-du-Nord",
    "Port-Calvados", "Rivière-aux-Licornes", "Cap-Zénith", "Kwarnabec", "Trois-Lunes",
    "Bourg-Patafix", "Quartier Imaginaire", "Ville-Nulle-Part", "Ststst", "Asdfgh", "Qwerty",
    "Zzzz", "Blablaville", "Foo", "Bar", "Test", "Lorem Ipsum", "Nowhere", "Atlantide",
    "Gotham", "Springfield", "Bikini Bottom", "Poudlard", "Narnia", "Mordor", "Wakanda",
    "Saint-Narnia", "Lac-Poudlard", "Val-Fictif", "Sainte-Inventée", "Pointe-Chimère",
)  # fmt: skip
NONSENSE_SEEDS = 60
SYLLABLES = [
    "bra",
    "clo",
    "dou",
    "fré",
    "gui",
    "jal",
    "kro",
    "lum",
    "mir",
    "nou",
    "pla",
    "quo",
    "ros",
    "sab",
    "tur",
    "vel",
    "wix",
    "yon",
    "zab",
    "ghe",
]
SUFFIXES = ("ville", "bourg", "-sur-Mer", "ac", "ière", "mont", "-les-Bains", "ton", "court", "")


def invented(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(SUFFIXES)
    head = rng.choice(("", "", "Saint-", "Sainte-", "Lac-", "Mont-", "Val-"))
    return head + word[0].upper() + word[1:]


def rows() -> list[tuple[str, str, str]]:
    rng = random.Random(13)
    towns = load_municipalities()
    localities = [loc for loc in load_localities() if loc.kind != "alias"]
    known = {name_key(m.name) for m in towns}
    known |= {name_key(n) for loc in load_localities() for n in (loc.name, *loc.aliases)}
    known |= {key(without_article(tokens(n))) for n in [m.name for m in towns]}
    known |= {key(without_article(tokens(loc.name))) for loc in localities}
    out: list[tuple[str, str, str]] = []

    def add(query: str, expected: str, case: str) -> None:
        if case.endswith("_typo") and name_key(query) in known:
            return  # the typo made another real name
        out.append((query, expected, case))

    for loc in localities:
        add(loc.name, loc.municipality_code, "locality")
        add(change_case(strip_accents(loc.name).replace("-", " "), rng), loc.municipality_code,
            "locality_plain")  # fmt: skip
        add(one_typo(loc.name, rng), loc.municipality_code, "locality_typo")
    for m in rng.sample(towns, MUNICIPALITY_SAMPLE):
        add(m.name, m.code, "municipality")
        add(one_typo(strip_accents(m.name), rng), m.code, "municipality_typo")
    for fsa in load_fsas():
        ldu = f"{rng.randint(0, 9)}{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.randint(0, 9)}"
        add(f"{fsa.fsa} {ldu}", "region:" + ";".join(fsa.regions), "postal")
    for name in FOREIGN:
        if name_key(name) not in known:
            add(name, "", "foreign")
    for name in MADE_UP:
        add(name, "", "made_up")
    for _ in range(NONSENSE_SEEDS):
        name = invented(rng)
        if name_key(name) not in known:
            add(name, "", "made_up")
    return out


def main() -> None:
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("query", "expected", "case"))
        writer.writerows(rows())
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
