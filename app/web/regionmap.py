"""The map of the regions: SVG paths drawn once from `data/regions.geojson`.

Projected equirectangularly around Québec's middle latitude (a fair shape at this scale, and
no projection library), simplified with shapely and rounded to whole units of a 600-wide
view box: about 10 KB for the 17 regions. Nothing is fetched: no tiles, no other site."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from shapely.geometry import shape

from app.geo.data import load_regions
from app.paths import data_dir

WIDTH: Final = 600
MID_LAT: Final = 53.0
TOLERANCE_DEG: Final = 0.03


@dataclass(frozen=True, slots=True)
class RegionShape:
    code: str
    name_fr: str
    name_en: str
    path: str  # the SVG `d` attribute


@dataclass(frozen=True, slots=True)
class RegionMap:
    width: int
    height: int
    regions: tuple[RegionShape, ...]


@cache
def region_map() -> RegionMap:
    """The regions' shapes in SVG units (computed once per process)."""
    regions = load_regions(data_dir())
    shapes = [shape(r.geometry).simplify(TOLERANCE_DEG, preserve_topology=True) for r in regions]
    west, south, east, north = _bounds([s.bounds for s in shapes])
    kx = math.cos(math.radians(MID_LAT))
    scale = WIDTH / ((east - west) * kx)
    height = math.ceil((north - south) * scale)

    def point(lon: float, lat: float) -> tuple[int, int]:
        return round((lon - west) * kx * scale), round((north - lat) * scale)

    out = []
    for region, geometry in zip(regions, shapes, strict=True):
        polygons = list(getattr(geometry, "geoms", [geometry]))
        d = "".join(_ring(p.exterior.coords, point) for p in polygons)
        out.append(RegionShape(region.code, region.name_fr, region.name_en, d))
    return RegionMap(WIDTH, height, tuple(out))


def _bounds(boxes: list[tuple[float, float, float, float]]) -> tuple[float, ...]:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _ring(coords: Any, point: Any) -> str:
    parts: list[str] = []
    last = None
    for lon, lat in coords:
        xy = point(lon, lat)
        if xy != last:
            parts.append(f"{xy[0]} {xy[1]}")
            last = xy
    if len(parts) < 3:
        return ""
    return "M" + "L".join(parts) + "Z"
