"""Tables of a service against its bare baseline, from `bench.http.Load` figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.http import Load


def compare(label: str, service: Load, bare: Load, target: float) -> dict[str, Any]:
    """One row of a service-against-baseline table.

    `ratio` (requests/s) is what the target is judged on. `cpu_ratio` is bare CPU per request
    over the service's: the ratio the same code would reach on a core of its own."""
    ratio = service.rate / bare.rate
    cpu_ratio = None
    if service.cpu_ms and bare.cpu_ms:
        cpu_ratio = round(bare.cpu_ms / service.cpu_ms, 3)
    return {
        "endpoint": label,
        "service_rps": round(service.rate, 1),
        "bare_rps": round(bare.rate, 1),
        "ratio": round(ratio, 3),
        "target_ratio": target,
        "target_met": ratio >= target,
        "service_cpu_ms": _round(service.cpu_ms, 3),
        "bare_cpu_ms": _round(bare.cpu_ms, 3),
        "cpu_ratio": cpu_ratio,
        "service_p50_ms": _round(service.p50_ms),
        "service_p99_ms": _round(service.p99_ms),
        "bare_p50_ms": _round(bare.p50_ms),
        "bare_p99_ms": _round(bare.p99_ms),
        "service_requests": service.requests,
        "bare_requests": bare.requests,
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


COLUMNS = (
    ("service/s", "service_rps", "{:.0f}"), ("bare/s", "bare_rps", "{:.0f}"),
    ("ratio", "ratio", "{:.2f}"), ("target", "target_ratio", ">={:.2f}"),
    ("met", "target_met", "{}"), ("cpu ms", "service_cpu_ms", "{:.3f}"),
    ("bare cpu", "bare_cpu_ms", "{:.3f}"), ("cpu ratio", "cpu_ratio", "{:.2f}"),
    ("p50 ms", "service_p50_ms", "{:.1f}"), ("p99 ms", "service_p99_ms", "{:.1f}"),
    ("bare p50", "bare_p50_ms", "{:.1f}"),
)  # fmt: skip


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    """Print comparison rows as an aligned table."""
    width = max(len("endpoint"), *(len(r["endpoint"]) for r in rows))
    print(f"{'endpoint':<{width}} " + " ".join(f"{title:>9}" for title, _, _ in COLUMNS))
    for r in rows:
        cells = [_cell(fmt, r[key]) for _, key, fmt in COLUMNS]
        print(f"{r['endpoint']:<{width}} " + " ".join(f"{c:>9}" for c in cells))
    print("ratio = service/s over bare/s (the target); cpu ratio = bare CPU ms per request over")
    print("the service's, i.e. the ratio on a core of its own, less moved by other load")


def _cell(fmt: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return fmt.format(value)
