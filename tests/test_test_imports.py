"""Test modules share code through tests/helpers/ only: none imports another test module, a
conftest, or a support file beside it (a conftest is imported once by pytest, under its own
name; importing it again makes a second copy, and a test module's fixtures leak into others)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
HELPERS = TESTS / "helpers"


def _local_names() -> set[str]:
    """Names a bare `import x` could reach because pytest puts test folders on `sys.path`."""
    return {p.stem for p in TESTS.rglob("*.py") if HELPERS not in p.parents}


def offences(source: str, local: set[str]) -> list[str]:
    """The imports in `source` that reach test code other than through `tests.helpers`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                found.append(f"line {node.lineno}: relative import")
                continue
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top == "tests" and name != "tests.helpers" and not name.startswith("tests.helpers."):
                found.append(f"line {node.lineno}: {name}")
            elif top in local:
                found.append(f"line {node.lineno}: {name} (a file under tests/)")
    return found


def test_the_check_finds_each_kind_of_offence() -> None:
    local = {"dispatch_support", "conftest"}
    source = (
        "from tests.trust.test_access_rules import RULES\n"
        "from tests.conftest import make_key\n"
        "import tests.web.conftest\n"
        "from dispatch_support import add_centre\n"
        "from . import sibling\n"
        "from tests.helpers.db import make_key\n"
        "from tests.helpers import factories\n"
        "import app.db\n"
    )
    assert offences(source, local) == [
        "line 1: tests.trust.test_access_rules",
        "line 2: tests.conftest",
        "line 3: tests.web.conftest",
        "line 4: dispatch_support (a file under tests/)",
        "line 5: relative import",
    ]


def test_no_test_module_imports_another() -> None:
    local = _local_names()
    found = {
        str(path.relative_to(TESTS)): problems
        for path in sorted(TESTS.rglob("*.py"))
        if (problems := offences(path.read_text(encoding="utf-8"), local))
    }
    assert found == {}, "move what is shared into tests/helpers/ and import it from there"
