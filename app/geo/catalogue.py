"""Ready-made places for every municipality and FSA, built once when the data is loaded."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from app.geo.data import Fsa, Locality, Municipality
from app.geo.places import Place
from app.geo.text import name_key, tokens


def municipality_labels(
    municipalities: Sequence[Municipality], other_names: Iterable[str] = ()
) -> list[str]:
    """The name, made unique where names repeat: `Saint-Donat (Matawinie)`, `Disraeli (Ville)`,
    and `Saint-Henri (Bellechasse)` beside Montréal's Saint-Henri (`other_names`: localities).

    A label sent back as a query resolves to that municipality alone (see the qualifiers).
    """
    keys = [name_key(m.name) for m in municipalities]
    per_name = Counter(keys)
    per_name.update({name_key(n) for n in other_names})
    per_mrc = Counter((k, m.mrc_code) for k, m in zip(keys, municipalities, strict=True))
    per_kind = Counter(
        (k, m.mrc_code, m.designation) for k, m in zip(keys, municipalities, strict=True)
    )
    labels = []
    for k, m in zip(keys, municipalities, strict=True):
        if per_name[k] == 1:
            labels.append(m.name)
        elif per_mrc[(k, m.mrc_code)] == 1:
            labels.append(f"{m.name} ({m.mrc_name})")
        elif per_kind[(k, m.mrc_code, m.designation)] == 1:
            labels.append(f"{m.name} ({m.designation})")
        else:
            labels.append(f"{m.name} ({m.code})")
    return labels


def municipality_places(
    municipalities: Sequence[Municipality], other_names: Iterable[str] = ()
) -> list[Place]:
    """One place per municipality, index-aligned with the input."""
    return [
        Place(
            label=label,
            lat=m.lat,
            lon=m.lon,
            region_code=m.region_code,
            municipality=m.name,
            municipality_code=m.code,
            kind="municipality",
            regions=(m.region_code,),
        )
        for m, label in zip(
            municipalities, municipality_labels(municipalities, other_names), strict=True
        )
    ]


def locality_places(localities: Sequence[Locality], towns: dict[str | None, Place]) -> list[Place]:
    """One place per locality, index-aligned with the input, labelled with the name people use
    and its municipality: `Sainte-Foy (Québec)`, `Saint-Michel (Montréal)`.

    A locality of Québec City whose name is also a municipality's, or begins one
    (`Saint-Roch`), says `ville de Québec`, so the label, sent back as a query, is not read
    as the province.
    """
    names = [" ".join(tokens(p.municipality or "")) + " " for p in towns.values()]
    places = []
    for loc in localities:
        town = towns[loc.municipality_code]
        where = town.label
        head = " ".join(tokens(loc.name)) + " "
        if where == "Québec" and any(n.startswith(head) for n in names):
            where = "ville de Québec"
        places.append(
            Place(
                label=f"{loc.name} ({where})",
                lat=loc.lat,
                lon=loc.lon,
                region_code=town.region_code,
                municipality=town.municipality,
                municipality_code=town.municipality_code,
                kind="locality",
                regions=(town.region_code,),
            )
        )
    return places


# Canada Post's FSA names are in English where a city is split by direction: the answers are
# French first, so the label is said in French and the source name kept as `label_en`.
_FSA_PHRASES_FR: tuple[tuple[str, str], ...] = (
    ("Quebec Provincial Government", "Gouvernement du Québec"),
    ("Quebec City", "Québec"),
    ("Downtown Montreal", "Centre-ville de Montréal"),
    ("Old Montreal", "Vieux-Montréal"),
    ("Montreal North", "Montréal-Nord"),
    ("Montreal East", "Montréal-Est"),
    ("Montreal West", "Montréal-Ouest"),
    ("Mount Royal", "Mont-Royal"),
    ("(Includes Île Notre-Dame & Île Sainte-Hélène)", "(îles Notre-Dame et Sainte-Hélène)"),
    ("Akwesasne Region", "Région d'Akwesasne"),
    ("Central and southeast", "Centre et Sud-Est"),
    ("South & West", "Sud et Ouest"),
    ("Lower Riverbank", "rive basse"),
    ("Mid-Riverbank", "rive centre"),
    ("Upper Riverbank", "rive haute"),
    ("North Central", "Centre-Nord"),
    ("South Central", "Centre-Sud"),
    ("Extremities", "périphérie"),
    ("Outskirts", "périphérie"),
    ("RCM", "MRC"),
)
_FSA_WORDS_FR = {
    "North": "Nord",
    "South": "Sud",
    "East": "Est",
    "West": "Ouest",
    "Northeast": "Nord-Est",
    "Northwest": "Nord-Ouest",
    "Southeast": "Sud-Est",
    "Southwest": "Sud-Ouest",
    "Central": "Centre",
    "Inner": "intérieur",
    "Outer": "extérieur",
}


def fsa_name_fr(name: str) -> str:
    """An FSA's name said in French: `Sainte-Foy Northeast` → `Sainte-Foy Nord-Est`,
    `Quebec City Inner North` → `Québec Nord intérieur`; French names are left alone."""
    for english, phrase in _FSA_PHRASES_FR:
        name = name.replace(english, phrase)
    out: list[str] = []
    for word in name.split(" "):
        said = _FSA_WORDS_FR.get(word, word)
        if out and out[-1] in ("Inner", "Outer"):
            # "Inner Northeast" is "Nord-Est intérieur": the adjective follows in French.
            out[-1:] = [said, _FSA_WORDS_FR[out[-1]]]
        elif word in ("Inner", "Outer"):
            out.append(word)
        else:
            out.append(said)
    return " ".join(out)


def fsa_place(fsa: Fsa, by_code: dict[str, Municipality]) -> Place:
    """The FSA as one place: its point, its first region, its municipality when it has one."""
    only = by_code[fsa.municipalities[0]] if len(fsa.municipalities) == 1 else None
    return Place(
        label=f"{fsa.fsa}, {only.name if only else fsa_name_fr(fsa.name)}",
        label_en=f"{fsa.fsa}, {only.name if only else fsa.name}",
        lat=fsa.lat,
        lon=fsa.lon,
        region_code=fsa.regions[0],
        municipality=only.name if only else None,
        municipality_code=only.code if only else None,
        kind="fsa",
        regions=fsa.regions,
    )


def fsa_region_candidates(
    fsa: Fsa,
    by_code: dict[str, Municipality],
    region_names: dict[str, str],
    region_names_en: dict[str, str] | None = None,
) -> list[Place]:
    """An FSA spanning regions, as one candidate per region, placed at that region's most
    populous town hall of the FSA, so each candidate is a real place inside its region."""
    in_region: dict[str, list[Municipality]] = defaultdict(list)
    for code in fsa.municipalities:
        in_region[by_code[code].region_code].append(by_code[code])
    candidates = []
    for region in fsa.regions:
        anchor = max(in_region[region], key=lambda m: (m.population, m.code))
        candidates.append(
            Place(
                label=f"{fsa.fsa}, {region_names[region]}",
                label_en=f"{fsa.fsa}, {(region_names_en or region_names)[region]}",
                lat=anchor.lat,
                lon=anchor.lon,
                region_code=region,
                municipality=None,
                municipality_code=None,
                kind="fsa",
                confidence=len(in_region[region]) / len(fsa.municipalities),
                regions=fsa.regions,
            )
        )
    return candidates
