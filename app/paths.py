"""Where the project's files are: beside the package in a checkout, else the working folder
(the container image copies `data/`, `migrations/` and `alembic.ini` into its working folder)."""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]


def project_root() -> Path:
    return _CHECKOUT if (_CHECKOUT / "alembic.ini").exists() else Path.cwd()


def data_dir() -> Path:
    return project_root() / "data"
