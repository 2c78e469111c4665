"""Documents kept serialised: a region's shape, the centres' map layer.

- `region_document` (GET /v1/regions/{code}) splices the region's GeoJSON geometry, serialised
  once per region (17 at most), into the small head of the answer; the plain way serialises
  the geometry again at every request (Nord-du-Québec alone weighs about 155 kB).
- `centres_geojson` (GET /v1/centres.geojson) joins the features the directory snapshot keeps
  serialised into one FeatureCollection, once per snapshot.

Figures (`python -m bench bench_fastpath`, in process, CPU per call), plain way / fast path:
region 10, Nord-du-Québec (159 kB): 932 us / 11 us; region 13, Laval (2 kB): 12 us / 3 us;
map layer of 1,000 centres: 3,983 us serialising the features / 58 us joining the kept ones /
0.1 us kept; of 10,000 centres: 35,029 us / 5,644 us / 0.1 us.
Parity: tests/fastpath/test_blobs.py (the same documents as the plain serialisation).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Mapping
from functools import cache

from app.geo import get_resolver
from app.services.directory_index import Directory, Entry


def region_document(code: str, centre_counts: Mapping[str, int]) -> bytes:
    """One region as JSON: its names, how many active centres serve it (`centre_counts`) and
    its GeoJSON geometry. app.errors.NotFound (404) for an unknown code."""
    geometry = _geometry_json(code)
    region = get_resolver().regions[code]
    head = {
        "code": region.code,
        "name_fr": region.name_fr,
        "name_en": region.name_en,
        "centre_count": centre_counts.get(code, 0),
    }
    return json.dumps(head, ensure_ascii=False)[:-1].encode() + b',"geometry":' + geometry + b"}"


@cache  # one entry per known region: an unknown code raises before anything is kept
def _geometry_json(code: str) -> bytes:
    geometry = get_resolver().region_geometry(code)
    return json.dumps(geometry, separators=(",", ":")).encode()


# Each snapshot's layer, for as long as the snapshot lives (its key is a weak reference).
_LAYERS: weakref.WeakKeyDictionary[Directory, bytes] = weakref.WeakKeyDictionary()


def centres_geojson(directory: Directory) -> bytes:
    """Every service point of every active centre of `directory` as a GeoJSON
    FeatureCollection (RFC 7946), joined once per snapshot."""
    layer = _LAYERS.get(directory)
    if layer is None:
        layer = _LAYERS[directory] = feature_collection(directory.entries)
    return layer


def feature_collection(entries: Iterable[Entry]) -> bytes:
    """The FeatureCollection of the features the entries keep serialised."""
    features = b",".join(e.feature_json for e in entries if e.feature_json)
    return b'{"type":"FeatureCollection","features":[' + features + b"]}"
