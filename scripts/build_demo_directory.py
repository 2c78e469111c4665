"""Write data/demo_centres.json: about 100 fictitious centres for `ttx seed-demo`.

The centres are invented; their municipalities are real, taken from
../shared/reference/qc_municipalites.csv (© Gouvernement du Québec, CC BY 4.0; GeoNames,
CC BY 4.0). A town's first centre sits at the town's own point; its other centres sit near
distinct urban postal areas of the town (qc_rta_fsa.csv, qc_mrc.geojson), so that distances
and maps mean something in large cities. Phone numbers use the reserved 555-01xx range,
e-mails and websites use example.org, and postal codes only borrow a real FSA.

The output is deterministic: one seeded generator, plans kept in tuples, no clock.
Usage: python scripts/build_demo_directory.py [--reference DIR] [--output FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from shapely.geometry import Point, shape
from shapely.prepared import PreparedGeometry, prep

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a plain script from the Makefile
    sys.path.insert(0, str(ROOT))

from app.taxonomy import (  # noqa: E402
    CLIENT_GROUPS,
    LANGUAGE_CODES,
    REGION_CODES,
    SPECIALTIES,
    Term,
)

DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
DEFAULT_OUTPUT = ROOT / "data" / "demo_centres.json"

# fmt: off
# One line per region: code, ref prefix, area code, then one municipality per centre
# ("Town*3" = three centres there). "+XX" forces a second served region: border centres
# make good awkward cases for later matching evaluations.
PLAN = """
01 bsl 418 Rimouski; Rivière-du-Loup; Matane
02 sag 418 Saguenay*2; Alma; Roberval
03 cap 418 Québec*6; Saint-Augustin-de-Desmaures; Saint-Raymond; La Malbaie; Baie-Saint-Paul
04 mau 819 Trois-Rivières*2; Shawinigan; La Tuque
05 est 819 Sherbrooke*2; Granby; Magog
06 mtl 514 Montréal*16; Dollard-des-Ormeaux; Côte-Saint-Luc; Pointe-Claire; Mont-Royal; Dorval
06 mtl 514 Westmount; Kirkland
07 out 819 Gatineau*3; Maniwaki; Shawville
08 abt 819 Rouyn-Noranda; Val-d'Or; Amos
09 cno 418 Sept-Îles; Baie-Comeau
11 gas 418 Gaspé; New Richmond
12 cha 418 Lévis; Lévis+03; Saint-Georges; Thetford Mines; Montmagny
13 lav 450 Laval*2; Laval+06; Laval
14 lan 450 Terrebonne; Terrebonne+13; Repentigny; Joliette; Mascouche
15 lau 450 Saint-Jérôme*2; Blainville; Saint-Eustache; Sainte-Thérèse; Mont-Tremblant
16 mon 450 Longueuil; Longueuil+06; Longueuil; Saint-Jean-sur-Richelieu*2; Brossard+06
16 mon 450 Saint-Hyacinthe*2; Châteauguay; Salaberry-de-Valleyfield; Vaudreuil-Dorion
16 mon 450 Boucherville; Sorel-Tracy; Saint-Constant; Chambly; Sainte-Julie; Beloeil
17 cdq 819 Drummondville; Victoriaville; Bécancour+04
"""
AREA_CODE_OVERRIDES = {"Granby": "450", "Mont-Tremblant": "819"}
NEIGHBOURS = {
    "01": ("12", "11"), "02": ("03", "09"), "03": ("12", "02"), "04": ("03", "17"),
    "05": ("16", "17"), "06": ("13", "16"), "07": ("15", "08"), "08": ("07", "04"),
    "09": ("02", "01"), "11": ("01",), "12": ("03", "17"), "13": ("06", "15"),
    "14": ("13", "15"), "15": ("13", "07"), "16": ("06", "05"), "17": ("04", "12"),
}
ENGLISH_SHARE = {"06": 0.6, "13": 0.5, "07": 0.6, "05": 0.45, "16": 0.35, "15": 0.3}
OTHER_LANGUAGES = ("es", "ar", "zh", "pt", "ht", "fa", "uk", "vi", "ro", "ta")


class Profile(NamedTuple):
    """A kind of centre: who it serves and what it offers (codes space-separated)."""

    name: str
    groups: str          # always served
    extra_groups: str    # a few of these may be added
    core: str            # specialties every centre of this kind offers
    optional: str        # 1–3 of these are added
    ages: tuple[int | None, int | None] = (None, None)
    regions: str = ""    # regions where this kind is more common


PROFILES = {
    "general": Profile("Carrefour emploi Exemple", "general",
                       "youth experienced_workers immigrants women social_assistance "
                       "mental_health disabilities", "job_search resume_interview",
                       "career_guidance career_change return_to_school job_retention "
                       "work_placement self_employment digital_skills"),
    "youth": Profile("Carrefour jeunesse-emploi fictif", "youth", "social_assistance",
                     "job_search career_guidance return_to_school",
                     "resume_interview work_placement self_employment digital_skills",
                     ages=(16, 35)),
    "newcomers": Profile("Services d'intégration Exemple", "immigrants", "asylum_seekers",
                         "newcomer_integration skills_recognition job_search",
                         "resume_interview work_placement career_guidance digital_skills",
                         regions="06 13 16 03 07 05"),
    "experienced": Profile("Expérience 50+ Exemple", "experienced_workers", "retirees",
                           "job_search career_change",
                           "digital_skills resume_interview job_retention self_employment",
                           ages=(50, None)),
    "disabilities": Profile("Accès-Travail fictif", "disabilities", "mental_health",
                            "job_search job_retention work_placement",
                            "career_guidance resume_interview digital_skills"),
    "women": Profile("Femmes et emploi Exemple", "women", "immigrants",
                     "career_guidance return_to_school job_search",
                     "self_employment career_change digital_skills resume_interview"),
    "justice": Profile("Nouveau départ fictif", "justice_involved", "social_assistance",
                       "job_search work_placement resume_interview",
                       "job_retention career_guidance digital_skills", regions="06 03 16 13"),
    "indigenous": Profile("Cercle emploi autochtone fictif", "indigenous", "youth",
                          "job_search career_guidance work_placement",
                          "return_to_school resume_interview self_employment",
                          regions="08 09 02 11"),
}
# Besides the first centre of each region (always an open generalist), 84 slots to fill.
TYPE_COUNTS = (("general", 39), ("youth", 12), ("newcomers", 10), ("experienced", 6),
               ("disabilities", 6), ("women", 5), ("justice", 3), ("indigenous", 3))
STREETS = ("rue Principale", "rue Notre-Dame", "rue Saint-Jean", "boulevard des Érables",
           "avenue du Parc", "rue de l'Église", "boulevard Laurier", "rue King",
           "rue des Pins", "avenue Centrale", "rue du Collège", "boulevard du Lac",
           "rue Saint-Laurent", "rue Wellington", "avenue des Bouleaux", "rue de la Gare")
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"  # letters Canada Post uses in postal codes
# fmt: on


def load_municipalities(reference: Path) -> dict[tuple[str, str], dict[str, str]]:
    """Index the reference municipalities by (region code, name)."""
    with (reference / "qc_municipalites.csv").open(encoding="utf-8", newline="") as fh:
        return {(row["region_code"], row["nom"]): row for row in csv.DictReader(fh)}


def point_of(row: dict[str, str]) -> tuple[float, float]:
    """The GeoNames populated place when known (a town centre), else the polygon centroid."""
    if row["latitude_lieu"] and row["longitude_lieu"]:
        return float(row["latitude_lieu"]), float(row["longitude_lieu"])
    return float(row["latitude"]), float(row["longitude"])


LatLon = tuple[float, float]
GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))
SPREAD_KM = (1.0, 8.0)  # a town's other centres sit this far from its own point
NUDGE_KM = 0.3  # off the postal area's centroid, which is where a person's FSA resolves


def km_between(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in km (spherical law of cosines: plenty at town scale)."""
    p1, p2, dl = math.radians(a[0]), math.radians(b[0]), math.radians(b[1] - a[1])
    cos = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.009 * math.acos(max(-1.0, min(1.0, cos)))


def moved(origin: LatLon, km: float, bearing: float) -> LatLon:
    """The point `km` away from `origin` towards `bearing` (radians), flat-earth at this scale."""
    lat = origin[0] + km * math.cos(bearing) / 111.195
    lon = origin[1] + km * math.sin(bearing) / (111.195 * math.cos(math.radians(origin[0])))
    return round(lat, 5), round(lon, 5)


class Town:
    """Where a town is: its MRC polygon and, in it, nearer this town than its neighbours.

    "Nearer" is weighted by each town's size (distance / radius of a disc of its area), so
    a point of Montréal is not claimed by Westmount, an enclave of 4 km², merely for being
    closer to Westmount's town hall.
    """

    def __init__(
        self, row: dict[str, str], rows: list[dict[str, str]], mrcs: dict[str, PreparedGeometry]
    ) -> None:
        self.point, self.radius = point_of(row), radius_km(row)
        self.polygon = mrcs[row["mrc_sda_code"]]
        self.neighbours = [
            (point_of(r), radius_km(r))
            for r in rows
            if r["mrc_sda_code"] == row["mrc_sda_code"] and r["code_geo"] != row["code_geo"]
        ]

    def holds(self, p: LatLon) -> bool:
        """True when `p` lies in the town's MRC and is nearest to this town, size-weighted."""
        if not self.polygon.contains(Point(p[1], p[0])):
            return False
        own = km_between(p, self.point) / self.radius
        return all(km_between(p, q) / radius > own for q, radius in self.neighbours)


def radius_km(row: dict[str, str]) -> float:
    """Radius of a disc with the municipality's area."""
    return math.sqrt(max(float(row["superficie_km2"]), 1.0) / math.pi)


def urban_fsas(reference: Path) -> list[tuple[str, LatLon]]:
    """Urban FSAs (second character not 0) with their centroid, in file order."""
    with (reference / "qc_rta_fsa.csv").open(encoding="utf-8", newline="") as fh:
        return [
            (row["rta"], (float(row["latitude"]), float(row["longitude"])))
            for row in csv.DictReader(fh)
            if row["rurale"] == "0"
        ]


def mrc_polygons(reference: Path) -> dict[str, PreparedGeometry]:
    """MRC polygons by SDA code."""
    features = json.loads((reference / "qc_mrc.geojson").read_text(encoding="utf-8"))["features"]
    return {f["properties"]["code"]: prep(shape(f["geometry"])) for f in features}


def spread(town: Town, fsas: list[tuple[str, LatLon]], count: int) -> list[tuple[str, LatLon]]:
    """`count` distinct (FSA, point) for a town's centres after its first one.

    Spiral targets 1–8 km out pick the nearest unused urban postal area inside the town, so
    the centres land in built-up places (not in a river) and carry a matching FSA.
    """
    low, high = SPREAD_KM
    inside = [f for f in fsas if low <= km_between(town.point, f[1]) <= high and town.holds(f[1])]
    chosen: list[tuple[str, LatLon]] = []
    for k in range(1, count + 1):
        out_km = low + (high - low) * math.sqrt(k / (count + 1))
        target = moved(town.point, out_km, k * GOLDEN_ANGLE)
        fsa, centroid = min(
            (f for f in inside if f not in chosen), key=lambda f: km_between(target, f[1])
        )
        chosen.append((fsa, centroid))
    return [(fsa, nudged(town, centroid)) for fsa, centroid in chosen]


def nudged(town: Town, centroid: LatLon) -> LatLon:
    """A point a little off the FSA centroid towards the town's own point (inland for a
    riverside postal area), still in the town; else the centroid itself."""
    dy = town.point[0] - centroid[0]
    dx = (town.point[1] - centroid[1]) * math.cos(math.radians(centroid[0]))
    point = moved(centroid, NUDGE_KM, math.atan2(dx, dy))
    return point if town.holds(point) else centroid


def parse_plan() -> list[tuple[str, str, str, list[str]]]:
    """PLAN as (region, ref prefix, area code, one entry per centre), regions merged."""
    merged: dict[str, tuple[str, str, str, list[str]]] = {}
    for line in PLAN.strip().splitlines():
        region, prefix, area, towns = line.split(" ", 3)
        entries = merged.setdefault(region, (region, prefix, area, []))[3]
        for town in towns.split("; "):
            name, _, count = town.partition("*")
            entries += [name] * int(count or 1)
    return list(merged.values())


def pick_types(rng: random.Random, slots: list[str]) -> list[str]:
    """Draw one centre type per slot region, exact totals, region affinity as weight."""
    remaining = dict(TYPE_COUNTS)
    names = [name for name, _ in TYPE_COUNTS]
    chosen = []
    for region in slots:
        affinity = [4.0 if region in PROFILES[n].regions.split() else 1.0 for n in names]
        weights = [remaining[n] * a for n, a in zip(names, affinity, strict=True)]
        pick = rng.choices(names, weights=weights)[0]
        remaining[pick] -= 1
        chosen.append(pick)
    return chosen


def ordered(codes: list[str], terms: tuple[Term, ...]) -> list[str]:
    """Codes without duplicates, in the taxonomy's order (stable output)."""
    return [t.code for t in terms if t.code in codes]


def groups_and_specialties(
    rng: random.Random, kind: str, group_mode: bool
) -> tuple[list[str], list[str]]:
    """Client groups and 3–7 specialties consistent with the centre's kind."""
    profile = PROFILES[kind]
    extras, optional = profile.extra_groups.split(), profile.optional.split()
    groups = profile.groups.split()
    if kind == "general":
        groups += rng.sample(extras, rng.randint(0, 2))
    elif rng.random() < 0.4:
        groups += extras
    specialties = profile.core.split()
    if "immigrants" in groups:
        specialties.append("newcomer_integration")
    if group_mode:
        specialties.append("group_workshops")
    room = min(3, 7 - len(set(specialties)))  # the contract example stays readable at 3–7
    specialties += rng.sample(optional, rng.randint(1, room))
    return ordered(groups, CLIENT_GROUPS), ordered(specialties, SPECIALTIES)


def languages_for(rng: random.Random, region: str, kind: str, force_en: bool) -> list[str]:
    """French always; English by region; other languages mostly at newcomer centres."""
    langs = ["fr"]
    if force_en or rng.random() < ENGLISH_SHARE.get(region, 0.15):
        langs.append("en")
    if kind == "newcomers":
        langs += rng.sample(OTHER_LANGUAGES, rng.randint(1, 3))
    elif region == "06" and rng.random() < 0.2:
        langs.append(rng.choice(OTHER_LANGUAGES))
    assert all(code in LANGUAGE_CODES for code in langs)
    return langs


def labels(codes: list[str], terms: tuple[Term, ...], lang: str) -> str:
    """Comma-separated labels of codes, in one language."""
    by_code = {t.code: (t.fr if lang == "fr" else t.en) for t in terms}
    return ", ".join(by_code[c] for c in codes)


def describe(town: str, groups: list[str], specialties: list[str]) -> tuple[str, str]:
    """French and English descriptions that say plainly the centre does not exist."""
    fr = (
        f"Centre fictif de démonstration à {town} (n'existe pas; coordonnées inventées). "
        f"Clientèle : {labels(groups, CLIENT_GROUPS, 'fr')}. "
        f"Services : {labels(specialties, SPECIALTIES, 'fr')}."
    )
    en = (
        f"Fictitious demo centre in {town} (does not exist; contact details invented). "
        f"Serves: {labels(groups, CLIENT_GROUPS, 'en')}. "
        f"Services: {labels(specialties, SPECIALTIES, 'en')}."
    )
    return fr, en


def postal_code(rng: random.Random, fsa: str) -> str:
    """The town hall's real FSA with an invented local delivery unit."""
    return f"{fsa} {rng.randint(1, 9)}{rng.choice(POSTAL_LETTERS)}{rng.randint(0, 9)}"


@dataclass
class Slot:
    """One planned centre before its details are drawn."""

    region: str
    ref: str
    row: dict[str, str]
    area: str
    extra_regions: list[str]
    force_en: bool
    kind: str = "general"
    paused: bool = False
    modes: list[str] = field(default_factory=list)
    name: str = ""
    point: LatLon | None = None  # None: the town's own point
    fsa: str = ""  # "": the town hall's FSA


def build_centre(rng: random.Random, index: int, slot: Slot) -> dict[str, object]:
    """One centre record in the import format of DESIGN §5 (without inbox)."""
    town = slot.row["nom"]
    modes = ["in_person", *slot.modes]
    groups, specialties = groups_and_specialties(rng, slot.kind, "group" in modes)
    served = [slot.region, *slot.extra_regions]
    if not slot.extra_regions and rng.random() < 0.15:
        served.append(rng.choice(NEIGHBOURS[slot.region]))
    lat, lon = slot.point or point_of(slot.row)
    street = f"{rng.randint(10, 2999)} {rng.choice(STREETS)}"
    address = street if rng.random() < 0.6 else f"{street}, bureau {rng.randint(100, 450)}"
    desc_fr, desc_en = describe(town, groups, specialties)
    age_min, age_max = PROFILES[slot.kind].ages
    ref = slot.ref
    # fmt: off
    return {
        "ref": ref, "name": slot.name, "email": f"accueil@{ref}.example.org",
        "phone": f"+1 {slot.area} 555 01{index:02d}", "website": f"https://{ref}.example.org",
        "description_fr": desc_fr, "description_en": desc_en,
        "languages": languages_for(rng, slot.region, slot.kind, slot.force_en),
        "modes": modes, "intake_status": "paused" if slot.paused else "open",
        "weekly_capacity": rng.randint(5, 40), "regions_served": sorted(set(served)),
        "specialties": specialties, "client_groups": groups,
        "age_min": age_min, "age_max": age_max,
        "locations": [{"address": address, "municipality": town,
                       "postal_code": postal_code(rng, slot.fsa or slot.row["rta_hotel_de_ville"]),
                       "lat": lat, "lon": lon}],
    }
    # fmt: on


def expand_plan(towns: dict[tuple[str, str], dict[str, str]]) -> list[Slot]:
    """One slot per centre of PLAN; a KeyError names a town missing from the reference."""
    slots = []
    for region, prefix, area, entries in parse_plan():
        for n, entry in enumerate(entries, start=1):
            name, *extra = entry.split("+")
            area_code = AREA_CODE_OVERRIDES.get(name, area)
            ref, row = f"demo-{prefix}-{n:02d}", towns[(region, name)]
            # Gaspésie's second centre serves its English-speaking communities.
            slots.append(Slot(region, ref, row, area_code, extra, region == "11" and n == 2))
    return slots


def plan_slots(rng: random.Random, towns: dict[tuple[str, str], dict[str, str]]) -> list[Slot]:
    """Expand PLAN, then draw kinds, pauses and modes, and give each centre a unique name."""
    slots = expand_plan(towns)
    # The first centre of each region stays an open generalist: no region is left unserved.
    later = [s for s in slots if not s.ref.endswith("-01")]
    for slot, kind in zip(later, pick_types(rng, [s.region for s in later]), strict=True):
        slot.kind = kind
    for i in rng.sample(range(len(later)), 5):
        later[i].paused = True
    for mode in ("remote", "group"):  # exact shares: about 30% of centres each
        for i in sorted(rng.sample(range(len(slots)), 30)):
            slots[i].modes.append(mode)
    seen: dict[str, int] = {}
    for slot in slots:
        base = f"{PROFILES[slot.kind].name} — {slot.row['nom']}"
        seen[base] = seen.get(base, 0) + 1
        slot.name = base if seen[base] == 1 else f"{base} {seen[base]}"
    return slots


def place_in_towns(slots: list[Slot], reference: Path, rows: list[dict[str, str]]) -> None:
    """Give every centre after a town's first its own point and FSA inside the town."""
    by_town: dict[str, list[Slot]] = defaultdict(list)
    for slot in slots:
        by_town[slot.row["code_geo"]].append(slot)
    fsas, mrcs = urban_fsas(reference), mrc_polygons(reference)
    for group in by_town.values():
        if len(group) > 1:
            town = Town(group[0].row, rows, mrcs)
            places = spread(town, fsas, len(group) - 1)
            for slot, (fsa, point) in zip(group[1:], places, strict=True):
                slot.fsa, slot.point = fsa, point


def build(reference: Path) -> dict[str, list[dict[str, object]]]:
    """The whole demo directory, ready for json.dumps."""
    rng = random.Random(2026)
    towns = load_municipalities(reference)
    slots = plan_slots(rng, towns)
    place_in_towns(slots, reference, list(towns.values()))
    assert len(slots) <= 100, "phone numbers 555-0100..0199 allow 100 centres"
    centres = [build_centre(rng, i, slot) for i, slot in enumerate(slots)]
    served = {r for slot in slots for r in [slot.region, *slot.extra_regions]}
    assert served <= REGION_CODES - {"10"}, "AXTRA has no member in Nord-du-Québec"
    return {"centres": centres}


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the directory and write it as UTF-8 JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    directory = build(args.reference)
    text = json.dumps(directory, ensure_ascii=False, indent=2) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output.name}: {len(directory['centres'])} centres")


if __name__ == "__main__":
    main()
