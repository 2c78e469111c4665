"""Boroughs, former municipalities, sectors and neighbourhoods: the names Québecers use."""

from __future__ import annotations

import pytest

from app.geo import GeoError, get_resolver
from app.geo.distance import great_circle_km
from app.geo.resolver import Resolver
from app.geo.text import name_key


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return get_resolver()


@pytest.mark.parametrize(
    ("typed", "label", "code", "region"),
    [
        ("Sainte-Foy", "Sainte-Foy (Québec)", "23027", "03"),
        ("ste-foy", "Sainte-Foy (Québec)", "23027", "03"),
        ("Charlesbourg", "Charlesbourg (Québec)", "23027", "03"),
        ("Sillery", "Sillery (Québec)", "23027", "03"),
        ("Beauport", "Beauport (Québec)", "23027", "03"),
        ("Limoilou", "Limoilou (Québec)", "23027", "03"),
        ("Chicoutimi", "Chicoutimi (Saguenay)", "94068", "02"),
        ("jonquiere", "Jonquière (Saguenay)", "94068", "02"),
        ("Verdun", "Verdun (Montréal)", "66023", "06"),
        ("LaSalle", "LaSalle (Montréal)", "66023", "06"),
        ("Lasalle", "LaSalle (Montréal)", "66023", "06"),
        ("NDG", "Notre-Dame-de-Grâce (Montréal)", "66023", "06"),
        ("Plateau", "Le Plateau-Mont-Royal (Montréal)", "66023", "06"),
        ("cote des neiges", "Côte-des-Neiges (Montréal)", "66023", "06"),
        ("Hull", "Hull (Gatineau)", "81017", "07"),
        ("Aylmer", "Aylmer (Gatineau)", "81017", "07"),
        ("Vieux-Longueuil", "Vieux-Longueuil (Longueuil)", "58227", "16"),
        ("Saint-Hubert", "Saint-Hubert (Longueuil)", "58227", "16"),
        ("Chomedey", "Chomedey (Laval)", "65005", "13"),
        ("Cap-de-la-Madeleine", "Cap-de-la-Madeleine (Trois-Rivières)", "37067", "04"),
        ("Lennoxville", "Lennoxville (Sherbrooke)", "43027", "05"),
        ("Saint-Romuald", "Saint-Romuald (Lévis)", "25213", "12"),
        ("Grand-Mère", "Grand-Mère (Shawinigan)", "36033", "04"),
        ("Quebec City", "Québec", "23027", "03"),
    ],
)
def test_localities_resolve_to_their_municipality(
    resolver: Resolver, typed: str, label: str, code: str, region: str
) -> None:
    result = resolver.resolve(typed)
    assert result.status == "ok" and result.best is not None, result
    best = result.best
    assert (best.label, best.municipality_code, best.region_code) == (label, code, region)


def test_a_locality_has_its_own_point_inside_its_town(resolver: Resolver) -> None:
    quebec = resolver.by_code["23027"]
    foy = resolver.resolve("Sainte-Foy").best
    beauport = resolver.resolve("Beauport").best
    assert foy is not None and beauport is not None and foy.kind == "locality"
    # Sainte-Foy and Beauport are both in Québec, about 12 km apart, neither at the centre.
    assert 8 < great_circle_km(foy.lat, foy.lon, beauport.lat, beauport.lon) < 20
    assert great_circle_km(foy.lat, foy.lon, quebec.lat, quebec.lon) > 3


def test_every_locality_label_resolves_back_to_it(resolver: Resolver) -> None:
    for loc in resolver.localities:
        result = resolver.resolve(loc.name)
        places = [result.best] if result.best else result.candidates
        assert any(p.municipality_code == loc.municipality_code for p in places), loc.name
        label = next(p.label for p in places if p.municipality_code == loc.municipality_code)
        again = resolver.resolve(label)
        assert again.status == "ok" and again.best is not None, label
        assert again.best.label == label and (again.best.lat, again.best.lon) == (loc.lat, loc.lon)


def test_every_locality_point_is_in_its_region(resolver: Resolver) -> None:
    for loc in resolver.localities:
        town = resolver.by_code[loc.municipality_code]
        assert resolver.region_at(loc.lat, loc.lon) == town.region_code, loc.name


@pytest.mark.parametrize(
    ("typed", "regions"),
    [
        ("Saint-Michel", {"06", "16"}),  # a neighbourhood of Montréal; a town in Montérégie
        ("Saint-Henri", {"06", "12"}),
        ("Saint-Sauveur", {"03", "15"}),
    ],
)
def test_a_locality_named_like_a_town_elsewhere_is_ambiguous(
    resolver: Resolver, typed: str, regions: set[str]
) -> None:
    result = resolver.resolve(typed)
    assert result.status == "ambiguous" and result.best is None
    assert {c.region_code for c in result.candidates} >= regions


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("Saint-Michel (Montréal)", "Saint-Michel (Montréal)"),
        ("Saint-Laurent, Montréal", "Saint-Laurent (Montréal)"),
        ("Saint-Sauveur (ville de Québec)", "Saint-Sauveur (ville de Québec)"),
        ("Saint-Sauveur, Laurentides", "Saint-Sauveur (Les Pays-d'en-Haut)"),
        ("Saint-Henri (Bellechasse)", "Saint-Henri (Bellechasse)"),
    ],
)
def test_a_qualifier_picks_the_homonym(resolver: Resolver, typed: str, label: str) -> None:
    result = resolver.resolve(typed)
    assert result.best is not None and result.best.label == label, result


@pytest.mark.parametrize(
    "typed",
    ["Xyzville", "Paris", "Rome", "Saint-Zorblin", "Lac-Vorniac", "Toronto", "Mont-Roal"],
)
def test_close_in_letters_is_not_an_answer(resolver: Resolver, typed: str) -> None:
    try:
        result = resolver.resolve(typed)
    except GeoError:
        return  # not found
    assert result.status == "ambiguous" and result.best is None
    assert all(c.confidence < 0.7 for c in result.candidates)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Sherbroke", "43027"),
        ("Chicoutimy", "94068"),
        ("Montrpal", "66023"),
        ("Saite-Foy", "23027"),
        ("S.t-Godefroi", None),
        ("Lavla", "65005"),
        ("Charlesbourgh", "23027"),
    ],
)
def test_a_typo_of_a_real_name_still_resolves(
    resolver: Resolver, typed: str, code: str | None
) -> None:
    result = resolver.resolve(typed)
    assert result.status == "ok" and result.best is not None, result
    assert 0.7 <= result.best.confidence < 1.0
    if code is None:
        assert name_key(result.best.municipality or "") == "saintgodefroi"
    else:
        assert result.best.municipality_code == code


@pytest.mark.parametrize(
    ("q", "label", "label_en"),
    [
        ("G1V", "G1V, Sainte-Foy Nord-Est", "G1V, Sainte-Foy Northeast"),
        ("g1v 0a6", "G1V 0A6, Sainte-Foy Nord-Est", "G1V 0A6, Sainte-Foy Northeast"),
        ("H1G 1A1", "H1G 1A1, Montréal-Nord Nord", "H1G 1A1, Montreal North North"),
        ("H4N", "H4N, Saint-Laurent Nord-Est extérieur", "H4N, Saint-Laurent Outer Northeast"),
    ],
)
def test_postal_areas_are_labelled_in_french_first(
    resolver: Resolver, q: str, label: str, label_en: str
) -> None:
    best = resolver.resolve(q).best
    assert best is not None and (best.label, best.to_dict()["label_en"]) == (label, label_en)


def test_a_rural_fsa_spanning_regions_names_them_in_both_languages(resolver: Resolver) -> None:
    result = resolver.resolve("G0A")
    if result.status == "ok":
        pytest.skip("G0A spans one region in this reference")
    labels = {c.label for c in result.candidates}
    assert all(c.label_en for c in result.candidates) and labels


def test_a_neighbourhood_that_begins_town_names_is_not_sure(resolver: Resolver) -> None:
    # Québec's Saint-Roch, or Saint-Roch-de-l'Achigan cut short: the person must choose.
    result = resolver.resolve("Saint-Roch")
    assert result.status == "ambiguous"
    labels = [c.label for c in result.candidates]
    assert "Saint-Roch (ville de Québec)" in labels and "Saint-Roch-de-l'Achigan" in labels
    again = resolver.resolve("Saint-Roch (ville de Québec)")
    assert again.best is not None and again.best.kind == "locality"
