"""The resolver against the whole reference: every name, every FSA, and 2,562 misspellings."""

from __future__ import annotations

from collections import Counter

import pytest

from app.geo import Ambiguous, GeoError, NotResolved, OutsideQuebec, Place, get_resolver
from app.geo.resolver import Resolver
from app.geo.text import name_key
from tests.helpers.geo_mangle import mangled_set

MIN_MANGLED_ACCURACY = 0.975  # answered right; the others must be "not sure", not wrong
MAX_MANGLED_WRONG = 0.002  # answered `ok` with another municipality


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return get_resolver()


def _homonym_keys(resolver: Resolver) -> set[str]:
    """Names shared by two municipalities, or by a municipality and a locality elsewhere
    (Saint-Michel, Saint-Henri: a town and a neighbourhood of Montréal)."""
    counts = Counter(name_key(m.name) for m in resolver.municipalities)
    counts.update(name_key(loc.name) for loc in resolver.localities)
    return {k for k, n in counts.items() if n > 1}


def _found(result_best: Place | None, candidates: list[Place]) -> list[str | None]:
    return [p.municipality_code for p in ([result_best] if result_best else []) + candidates]


def test_every_municipality_resolves_by_its_exact_name(resolver: Resolver) -> None:
    homonyms = _homonym_keys(resolver)
    for m in resolver.municipalities:
        result = resolver.resolve(m.name)
        if name_key(m.name) in homonyms:
            # Homonyms: in one region, the most populous is the answer and the others follow;
            # across regions, all are candidates.
            assert m.code in _found(result.best, result.candidates), m.name
            if result.best is not None:
                assert result.best.region_code == m.region_code, m.name
            continue
        assert result.status == "ok" and result.best is not None, m.name
        assert (result.best.municipality_code, result.best.region_code) == (m.code, m.region_code)
        assert result.best.confidence == 1.0


def test_every_label_resolves_to_its_municipality_alone(resolver: Resolver) -> None:
    for m in resolver.municipalities:
        label = resolver.municipality_by_code(m.code).label  # type: ignore[union-attr]
        result = resolver.resolve(label)
        assert result.best is not None and result.best.municipality_code == m.code, label


def test_mangled_names_resolve_to_the_right_municipality(resolver: Resolver) -> None:
    homonyms = _homonym_keys(resolver)
    cases = mangled_set([(m.code, m.name) for m in resolver.municipalities])
    assert len(cases) >= 2000
    right = Counter[bool]()
    misses = []
    wrong = []
    for code, typed, typo in cases:
        try:
            result = resolver.resolve(typed)
        except NotResolved:
            misses.append((typed, None))
            continue
        if name_key(resolver.by_code[code].name) in homonyms:
            good = code in _found(result.best, result.candidates)
        else:
            good = result.best is not None and result.best.municipality_code == code
        right[typo] += good
        if not good:
            misses.append((typed, result.best.label if result.best else result.status))
            if result.best is not None:
                wrong.append((typed, result.best.label))
    rate = (right[True] + right[False]) / len(cases)
    clean_rate = right[False] / (len(cases) / 2)
    print(
        f"\nmangled names: {len(cases)} cases, {rate:.2%} right "
        f"(without typo {clean_rate:.2%}); wrong: {wrong}; misses: {misses}"
    )
    assert rate >= MIN_MANGLED_ACCURACY
    assert len(wrong) <= MAX_MANGLED_WRONG * len(cases), wrong
    assert clean_rate == 1.0  # only a typo may mislead: folding alone never does


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("trois rivieres", "37067"),
        ("ste-anne-des-monts", "04037"),
        ("Val d'Or", "89008"),
        ("St-Jean", "56083"),  # a prefix: the most populous Saint-Jean-…
        ("Sherbrook", "43027"),
        ("Iles de la Madeleine", "01023"),
        ("Ville de Saguenay", "94068"),
        ("Rimouski, QC", "10043"),
        ("Québec", "23027"),
        ("23027", "23027"),
    ],
)
def test_what_people_type(resolver: Resolver, typed: str, code: str) -> None:
    result = resolver.resolve(typed)
    assert result.status == "ok" and result.best is not None
    assert result.best.municipality_code == code


def test_homonyms_in_different_regions_are_candidates(resolver: Resolver) -> None:
    result = resolver.resolve("Saint-Donat")
    assert result.status == "ambiguous" and result.best is None
    assert {c.region_code for c in result.candidates} == {"01", "14"}
    assert {c.label for c in result.candidates} == {
        "Saint-Donat (La Mitis)",
        "Saint-Donat (Matawinie)",
    }


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("Saint-Donat, Lanaudière", "14"),
        ("saint donat, lanaudiere", "14"),
        ("Saint-Donat, 01", "01"),
        ("Saint-Donat (La Mitis)", "01"),
        ("St-Donat (MRC Matawinie)", "14"),
        ("Saint-Donat, Bas-St-Laurent", "01"),
    ],
)
def test_a_region_or_mrc_picks_a_homonym(resolver: Resolver, typed: str, region: str) -> None:
    result = resolver.resolve(typed)
    assert result.status == "ok" and result.best is not None
    assert result.best.region_code == region


def test_a_qualifier_that_rules_everything_out_is_ignored(resolver: Resolver) -> None:
    result = resolver.resolve("Saint-Donat, Laurentides")  # neither Saint-Donat is there
    assert result.status == "ambiguous" and len(result.candidates) == 2


def test_every_quebec_fsa_resolves(resolver: Resolver) -> None:
    for fsa in resolver.fsas.values():
        for typed in (fsa.fsa, fsa.fsa.lower(), f"{fsa.fsa} 1A1", f"{fsa.fsa.lower()}1a1"):
            result = resolver.resolve(typed)
            if fsa.ambiguous:
                assert result.status == "ambiguous", typed
                assert [c.region_code for c in result.candidates] == list(fsa.regions)
            else:
                assert result.best is not None and result.best.region_code == fsa.regions[0]
                kind = "fsa" if len(typed) == 3 else "postal_code"
                assert result.best.kind == kind


def test_full_postal_code(resolver: Resolver) -> None:
    best = resolver.resolve("g8t2a1").best
    assert best is not None
    assert (best.kind, best.region_code) == ("postal_code", "04")
    assert best.label.startswith("G8T 2A1")


@pytest.mark.parametrize(
    ("typed", "province"),
    [
        ("K1A 0B1", "Ontario"),
        ("M5V3L9", "Ontario"),
        ("E1C 4M3", "New Brunswick"),
        ("V6B", "British Columbia"),
        ("A1C 5M2", "Newfoundland and Labrador"),
    ],
)
def test_postal_codes_outside_quebec(resolver: Resolver, typed: str, province: str) -> None:
    with pytest.raises(OutsideQuebec) as caught:
        resolver.resolve(typed)
    assert caught.value.extra["province"] == province
    assert caught.value.status == 422


@pytest.mark.parametrize("typed", ["zzqxv", "asdfghjkl", "12", "99999", "H0H 0H0", "  ", "!!!"])
def test_gibberish_is_not_resolved(resolver: Resolver, typed: str) -> None:
    with pytest.raises(NotResolved):
        resolver.resolve(typed)


def test_an_fsa_spanning_regions_asks_for_the_municipality(resolver: Resolver) -> None:
    with pytest.raises(Ambiguous) as caught:
        resolver.place(postal_code="G0J 1A0")
    problem = caught.value.to_problem()
    assert problem["status"] == 422 and problem["type"].endswith("location-ambiguous")
    assert [c["region_code"] for c in problem["candidates"]] == ["01", "11"]
    assert {"code": "07018", "name": "Causapscal"} in problem["municipalities"]


def test_municipality_settles_an_ambiguous_fsa(resolver: Resolver) -> None:
    place = resolver.place(postal_code="G0J 1A0", municipality="Matapédia")
    assert (place.region_code, place.municipality_code) == ("11", "06045")


def test_an_urban_postal_code_refines_its_municipality(resolver: Resolver) -> None:
    place = resolver.place(postal_code="G8T 2A1", municipality="Trois-Rivières")
    assert place.kind == "postal_code" and place.municipality_code == "37067"
    assert place.label == "G8T 2A1, Trois-Rivières"


def test_place_from_a_point(resolver: Resolver) -> None:
    place = resolver.place(lat=46.343, lon=-72.543)
    assert (place.kind, place.region_code, place.regions) == ("point", "04", ("04",))
    with pytest.raises(OutsideQuebec):
        resolver.place(lat=45.4215, lon=-75.6972)  # Ottawa
    with pytest.raises(GeoError):
        resolver.place(lat=46.3)


def test_place_needs_something(resolver: Resolver) -> None:
    with pytest.raises(NotResolved):
        resolver.place()
    with pytest.raises(NotResolved):
        resolver.place(postal_code="Trois-Rivières")  # a name in the postal code field


def test_point_far_from_its_municipality_is_refused(resolver: Resolver) -> None:
    town = resolver.place(municipality="Trois-Rivières")
    resolver.check_point_near(town, 46.343, -72.543)
    with pytest.raises(GeoError) as caught:
        resolver.check_point_near(town, 45.5019, -73.5674)  # Montréal, 120 km away
    assert caught.value.extra["distance_km"] > 100
    with pytest.raises(GeoError):
        resolver.place(lat=45.5019, lon=-73.5674, municipality="Trois-Rivières")


def test_large_territories_get_more_room(resolver: Resolver) -> None:
    la_tuque = resolver.place(municipality="La Tuque")
    resolver.check_point_near(la_tuque, la_tuque.lat + 0.6, la_tuque.lon)  # about 67 km north


def test_municipality_by_code(resolver: Resolver) -> None:
    place = resolver.municipality_by_code("66023")
    assert place is not None and place.label == "Montréal" and place.region_code == "06"
    assert resolver.municipality_by_code("00000") is None


def test_place_to_dict_is_json_ready(resolver: Resolver) -> None:
    data = resolver.place(municipality="Gatineau").to_dict()
    assert data["regions"] == ["07"] and data["kind"] == "municipality"
    assert set(data) == {
        "label",
        "lat",
        "lon",
        "region_code",
        "municipality",
        "municipality_code",
        "kind",
        "confidence",
        "regions",
        "label_en",
    }
