"""Real servers for tests: a free port, the API started as `ttx serve` in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_api(db_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TTX_DATABASE_URL": db_url, "TTX_RATE_LIMIT_PUBLIC": "1000000/minute",
           "TTX_EMBEDDED_DISPATCHER": "false"}  # fmt: skip
    cmd = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-dispatcher"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # Up to 90 s: start-up on a busy machine. A process that died is not waited for.
    started = wait_until(lambda: proc.poll() is not None or _ready(port), 90)
    if started and proc.poll() is None:
        return proc
    proc.kill()
    raise RuntimeError("the API did not start")


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
