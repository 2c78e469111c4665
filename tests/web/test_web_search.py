"""The search pages over HTTP, against the JSON API on the same directory: filters narrow the
results, a centre's page shows what the directory holds of it, and the home page's map has a
link and a figure per region, with the same figures in its table."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

JSON = {"Accept": "application/json"}


def text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def found(page: str) -> int:
    match = re.search(r"(\d+) centres? (?:peuvent|peut|can) ", text(page))
    assert match, "no count of centres on the page"
    return int(match.group(1))


def cards(page: str) -> list[str]:
    return re.findall(r'<li class="card">(.*?)</li>\s*(?=<li class="card">|</ol>)', page, re.S)


def test_each_filter_gives_the_matches_of_the_api(site: TestClient) -> None:
    place = {"location": {"postal_code": "G9A 1A1"}}
    counts = []
    for query, body, shown in (
        ("", {}, None),
        ("&language=en", {"language": "en"}, "Anglais"),
        ("&modes=remote", {"modes": ["remote"]}, "À distance"),
        ("&groups=immigrants", {"client_groups": ["immigrants"]}, None),
        ("&age=15", {"age": 15}, None),
    ):
        page = site.get(f"/recherche?q=G9A+1A1{query}")
        assert page.status_code == 200, query
        api = site.post("/v1/matches", json={**place, **body, "limit": 10}, headers=JSON).json()
        counts.append(api["eligible_count"])
        if api["eligible_count"]:
            assert found(page.text) == api["eligible_count"], query
            names = [r["centre"]["name"] for r in api["results"]]
            assert [text(c).split(" Choix")[0].strip() for c in cards(page.text)] == names
        if shown:
            assert all(shown in text(card) for card in cards(page.text)), query
    assert counts[1] < counts[0]  # the filters do filter


def test_a_centre_page_shows_what_the_directory_holds(site: TestClient) -> None:
    [centre] = site.get("/v1/centres", params={"q": "demo-mau-01"}, headers=JSON).json()["items"]
    page = site.get(f"/centres/{centre['id']}")
    assert page.status_code == 200
    body = text(page.text)
    assert centre["name"] in body and centre["phone"] in body and centre["email"] in body
    for location in centre["locations"]:
        assert location["municipality"] in body and location["postal_code"] in body
    assert "Mauricie" in body and "Régions desservies" in body
    assert "Recherche d'emploi" in body and "Femmes" in body and "Français" in body
    english = text(site.get(f"/en/centres/{centre['id']}").text)
    assert "Regions served" in english and "Job search" in english and "Women" in english


def test_the_map_has_a_link_and_a_figure_per_region(site: TestClient) -> None:
    page = site.get("/").text
    svg = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert svg and "http" not in svg.group(0).replace('xmlns="http://www.w3.org/2000/svg"', "")
    links = re.findall(r'<a href="/recherche\?region=(\d\d)" aria-label="([^"]+)"', svg.group(0))
    assert len(links) == 17
    rows = dict(re.findall(r'region=(\d\d)">[^<]+</a></td><td class="num">(\d+)</td>', page))
    for code, label in links:
        total = site.get("/v1/centres", params={"region": code}, headers=JSON).json()["total"]
        assert re.search(rf"\b{total} centres?\b|aucun", html.unescape(label)), (code, label)
        assert int(rows[code]) == total, code
