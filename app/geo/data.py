"""Read the geography files of data/ (built by scripts/build_geodata.py) into plain records."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.paths import data_dir

# Beside the package in a checkout, else the working folder (see app.paths).
DEFAULT_DATA_DIR = data_dir()


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name: str
    designation: str
    region_code: str
    mrc_code: str
    mrc_name: str
    population: int
    area_km2: float
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Locality:
    """A place people name that is not a municipality: a borough, a former municipality
    merged since 2000, a sector or a neighbourhood, with a point inside it."""

    name: str
    kind: str  # borough, former, sector, neighbourhood or alias (another name of the town)
    municipality_code: str
    lat: float
    lon: float
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fsa:
    fsa: str
    name: str
    lat: float
    lon: float
    rural: bool
    regions: tuple[str, ...]
    municipalities: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        return len(self.regions) > 1


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name_fr: str
    name_en: str
    geometry: dict[str, Any]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(";") if v)


def load_municipalities(data_dir: Path = DEFAULT_DATA_DIR) -> list[Municipality]:
    """Every official municipality code, in code order."""
    return [
        Municipality(
            code=r["code"],
            name=r["name"],
            designation=r["designation"],
            region_code=r["region_code"],
            mrc_code=r["mrc_code"],
            mrc_name=r["mrc_name"],
            population=int(r["population"]),
            area_km2=float(r["area_km2"]),
            lat=float(r["lat"]),
            lon=float(r["lon"]),
        )
        for r in _rows(data_dir / "municipalities.csv")
    ]


def load_localities(data_dir: Path = DEFAULT_DATA_DIR) -> list[Locality]:
    """Boroughs, former municipalities, sectors and neighbourhoods (scripts/build_localities.py)."""
    path = data_dir / "localities.csv"
    if not path.exists():
        return []
    return [
        Locality(
            name=r["name"],
            kind=r["kind"],
            municipality_code=r["municipality_code"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            aliases=_split(r["aliases"]),
        )
        for r in _rows(path)
    ]


def load_fsas(data_dir: Path = DEFAULT_DATA_DIR) -> list[Fsa]:
    """Every Québec FSA (G, H and J), in code order."""
    return [
        Fsa(
            fsa=r["fsa"],
            name=r["name"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            rural=r["rural"] == "1",
            regions=_split(r["regions"]),
            municipalities=_split(r["municipalities"]),
        )
        for r in _rows(data_dir / "fsa.csv")
    ]


def load_regions(data_dir: Path = DEFAULT_DATA_DIR) -> list[Region]:
    """The 17 administrative regions with their GeoJSON geometry, in code order."""
    collection = json.loads((data_dir / "regions.geojson").read_text(encoding="utf-8"))
    regions = [
        Region(
            code=f["properties"]["code"],
            name_fr=f["properties"]["name_fr"],
            name_en=f["properties"]["name_en"],
            geometry=f["geometry"],
        )
        for f in collection["features"]
    ]
    return sorted(regions, key=lambda r: r.code)
