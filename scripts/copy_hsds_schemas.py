"""Copy the Open Referral HSDS 3.0 schemas the tests validate against into tests/hsds/schemas/.

    python scripts/copy_hsds_schemas.py [--reference DIR] [--out DIR]

The files are copied byte for byte (the licence, CC BY-SA 4.0, lets us share them unmodified
with attribution), with the licence and an ATTRIBUTION.md beside them. The tests read only the
copies; the reference folder is needed to refresh them, never to run the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference" / "hsds-3.0"
DEFAULT_OUT = ROOT / "tests" / "hsds" / "schemas"
ATTRIBUTION = """# HSDS 3.0 schemas: attribution

"Human Services Data Specification: an Open Referral project (openreferral.org)".

The JSON files here are copied unmodified from the Open Referral specification repository
(`openreferral/specification`, branch `3.0`, commit 279fd2e): `schema/*.json`, some of
`schema/compiled/` (the list schemas, `service_with_definitions.json` and `tabular.json`) and
`openapi.json`, the HSDS 3.0 API profile. They are licensed under the Creative Commons
Attribution-ShareAlike 4.0 International licence (`LICENSE`, beside this file); `SOURCE.md` is
the note that came with them. They are used only by the tests (`tests/hsds/`), copied by
`scripts/copy_hsds_schemas.py`.

Known defects of the 3.0 profile, which the tests and the API work around:
- the operation ids of `GET /taxonomy_terms` and `GET /taxonomy_terms/{id}` are swapped;
- `GET /service_at_locations/{id}` points at the service schema instead of
  `service_at_location.json`.

SHA-256 of each copied file:

"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    ref: Path = args.reference
    out: Path = args.out
    if not (ref / "service.json").is_file():
        raise SystemExit(f"no HSDS 3.0 schemas in {ref}: give --reference")
    names = sorted(p.relative_to(ref) for p in ref.rglob("*") if p.is_file())
    sums = []
    for name in names:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ref / name, target)  # the bytes only: the copies stay writable
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        sums.append(f"- `{name.as_posix()}`: `{digest}`")
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION + "\n".join(sums) + "\n", encoding="utf-8")
    print(f"copied {len(names)} files to {out}")


if __name__ == "__main__":
    main()
