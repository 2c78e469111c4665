"""Drive `wrk` (a C HTTP load generator) with a Lua script that cycles through requests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# method, path, headers, JSON body (None for no body)
Request = tuple[str, str, dict[str, str], Any]


@dataclass(frozen=True, slots=True)
class Figures:
    """What wrk reported for one run, every request answered 2xx."""

    rate: float
    requests: int
    p50_ms: float | None
    p99_ms: float | None


_LUA = """
local calls = {%s}
local reqs = {}
local n = 0
setup = function(thread)
  n = n + 1
  thread:set("offset", n * 7919)
end
init = function(args)
  for i, c in ipairs(calls) do
    reqs[i] = wrk.format(c[1], c[2], c[3], c[4])
  end
  counter = (offset or 0) + (tonumber(args[1]) or 0)
end
request = function()
  counter = counter + 1
  return reqs[(counter %% #reqs) + 1]
end
"""


def _lua_string(text: str) -> str:
    """A Lua long-bracket literal whose closing bracket does not occur in `text`."""
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


def _lua_request(request: Request) -> str:
    method, path, headers, payload = request
    headers = dict(headers)
    body = None
    if payload is not None:
        body = json.dumps(payload, ensure_ascii=False)
        headers.setdefault("Content-Type", "application/json")
    header_table = ",".join(f"[ {_lua_string(k)} ]={_lua_string(v)}" for k, v in headers.items())
    body_lua = "nil" if body is None else _lua_string(body)
    return f"{{{_lua_string(method)},{_lua_string(path)},{{{header_table}}},{body_lua}}}"


def lua_script(requests: Sequence[Request]) -> str:
    """The wrk script that sends `requests` round-robin (each thread from its own offset)."""
    return _LUA % ",\n".join(_lua_request(r) for r in requests)


def run(
    base: str,
    requests: Sequence[Request],
    seconds: float,
    concurrency: int,
    start: int = 0,
    cores: set[int] | None = None,
) -> Figures:
    """Load `base` for `seconds` from one wrk thread with `concurrency` connections, beginning
    at `requests[start % len]`, on `cores` if given. Raises RuntimeError on any failure."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "requests.lua"
        script.write_text(lua_script(requests), encoding="utf-8")
        argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency"]
        argv += ["--timeout", "30s"]  # a slow answer is slow, not failed
        argv += ["-s", str(script), base, "--", str(start)]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
        )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return parse(done.stdout)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse(out: str) -> Figures:
    """Read a `wrk --latency` report; raise if any request failed."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rate is None or total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    if bad or (sockets and any(int(n) for n in re.findall(r"\d+", sockets.group(1)))):
        raise RuntimeError(f"some requests failed:\n{out}")
    pct: dict[str, float] = {}
    for q, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M):
        pct[q] = _ms(value, unit)
    return Figures(float(rate.group(1)), int(total.group(1)), pct.get("50"), pct.get("99"))
