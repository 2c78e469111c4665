"""Point → administrative region: an STRtree over prepared region polygons, with a
nearest-region fallback for points just off a simplified coast.

The region polygons include the St. Lawrence and the Gulf, so Québec's outer boundary is sea
coast only along James Bay, Hudson Bay, Hudson Strait and Ungava Bay; everywhere else it is a
land border with Ontario, the United States, New Brunswick or Newfoundland and Labrador. A
point a few kilometres outside a land border is in another province (Ottawa is 1 km from
Gatineau), so the generous fallback applies only in the northern seas; elsewhere it only
absorbs the simplification (borders moved by at most about 1 km, see scripts/build_geodata.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import shapely

from app.geo.data import Region
from app.geo.distance import great_circle_km

COAST_FALLBACK_KM = 25.0
LAND_FALLBACK_KM = 0.5

# (south, north, west, east) in degrees: where Québec's outer boundary is sea coast.
NORTHERN_SEAS: tuple[tuple[float, float, float, float], ...] = (
    (51.5, 63.0, -81.0, -76.0),  # James Bay and the east coast of Hudson Bay
    (58.0, 63.0, -81.0, -64.6),  # Hudson Strait and Ungava Bay
)

_KM_PER_DEGREE_LAT = 111.2


def fallback_km(lat: float, lon: float) -> float:
    """How far off Québec's polygons a point may lie and still count as Québec."""
    for south, north, west, east in NORTHERN_SEAS:
        if south <= lat <= north and west <= lon <= east:
            return COAST_FALLBACK_KM
    return LAND_FALLBACK_KM


class RegionIndex:
    """Finds the region containing a point. Built once; read-only afterwards, thread-safe."""

    def __init__(self, regions: Sequence[Region]) -> None:
        self.codes: list[str] = [r.code for r in regions]
        self.geoms: list[Any] = [shapely.geometry.shape(r.geometry) for r in regions]
        for geom in self.geoms:
            shapely.prepare(geom)
        self.tree = shapely.STRtree(self.geoms)  # for the nearest-region fallback
        # Containment scans 17 bounding boxes in Python, smallest region first, then asks the
        # prepared polygon: cheaper than building the shapely Point an STRtree query needs.
        by_area = sorted(range(len(self.geoms)), key=lambda i: float(self.geoms[i].area))
        self._boxes: list[tuple[float, float, float, float, int]] = []
        for i in by_area:
            minx, miny, maxx, maxy = (float(v) for v in self.geoms[i].bounds)
            self._boxes.append((minx, miny, maxx, maxy, i))

    def containing(self, lat: float, lon: float) -> str | None:
        """The region whose polygon contains the point, or None (no fallback)."""
        for minx, miny, maxx, maxy, i in self._boxes:
            inside_box = minx <= lon <= maxx and miny <= lat <= maxy
            if inside_box and shapely.contains_xy(self.geoms[i], lon, lat):
                return self.codes[i]
        return None

    def nearest(self, lat: float, lon: float, max_km: float) -> tuple[str, float] | None:
        """The closest region within `max_km` of the point, with its distance in km."""
        point = shapely.Point(lon, lat)
        reach = max_km / (_KM_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.05))
        best: tuple[str, float] | None = None
        near: list[int] = self.tree.query(point.buffer(reach, quad_segs=2)).tolist()
        for i in near:
            on_border = shapely.shortest_line(point, self.geoms[i]).coords[-1]
            km = great_circle_km(lat, lon, on_border[1], on_border[0])
            if km <= max_km and (best is None or km < best[1]):
                best = (self.codes[i], km)
        return best

    def locate(self, lat: float, lon: float) -> tuple[str, float] | None:
        """Region of a point and how far outside its polygon it is (0 inside), or None."""
        code = self.containing(lat, lon)
        if code is not None:
            return code, 0.0
        return self.nearest(lat, lon, fallback_km(lat, lon))
