"""Run every benchmark module (or those named on the command line) and save the figures."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import bench

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str]) -> int:
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    RESULTS.mkdir(exist_ok=True)
    everything = {}
    for name in names:
        module = importlib.import_module(f"bench.{name.removeprefix('bench.')}")
        print(f"\n=== {name}", flush=True)
        started = time.perf_counter()
        everything[name] = module.main()
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(everything, indent=2, default=str))
    print(f"\nfigures saved to bench/results/{out.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
