"""Rules for the tests themselves, checked on their source:

- test modules share code through tests/helpers/ only: none imports another test module, a
  conftest, or a support file beside it (a conftest is imported once by pytest, under its own
  name; importing it again makes a second copy, and a test module's fixtures leak into others);
- no test sleeps to order events or to wait for a state: it polls with a deadline
  (tests/helpers/waiting.py) or waits on an event. The few sleeps that are the point (a slow
  receiver) are listed below with their reason."""

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


# (file, function): why this sleep is not a wait for something to happen.
SLEEPS_ALLOWED = {
    ("helpers/waiting.py", "eventually"): "the poll step between two checks, under a deadline",
    ("helpers/waiting.py", "wait_until"): "the poll step between two checks, under a deadline",
    ("helpers/dispatch.py", "do_POST"): "a receiver slow to answer on purpose (its plan says)",
    ("dispatcher/test_dispatch_fairness.py", "__call__"): "a receiver working a little, to "
    "count how many requests it has at once",
    ("mail/test_mail_send.py", "settled"): "lets the TLS closing handshake finish before "
    "asyncio.run closes the test's loop (no handle on the client's transport to wait on)",
}


def sleeps(source: str) -> list[tuple[str, int]]:
    """(enclosing function, line) of each `time.sleep`, `asyncio.sleep` or bare `sleep` call."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call):
                called = child.func
                if (isinstance(called, ast.Attribute) and called.attr == "sleep") or (
                    isinstance(called, ast.Name) and called.id == "sleep"
                ):
                    found.append((function, child.lineno))
            visit(child, name)

    visit(ast.parse(source), "<module>")
    return found


def test_the_sleep_check_finds_sleeps_and_where() -> None:
    source = (
        "import asyncio, time\n"
        "def test_x():\n"
        "    time.sleep(0.3)\n"
        "async def helper():\n"
        "    await asyncio.sleep(0)\n"
    )
    assert sleeps(source) == [("test_x", 3), ("helper", 5)]


def test_no_test_sleeps_to_wait_for_something() -> None:
    found = {
        (str(path.relative_to(TESTS)), function): line
        for path in sorted(TESTS.rglob("*.py"))
        for function, line in sleeps(path.read_text(encoding="utf-8"))
    }
    unexplained = {k: v for k, v in found.items() if k not in SLEEPS_ALLOWED}
    assert unexplained == {}, "poll with tests.helpers.waiting.eventually, or wait on an event"
    assert set(SLEEPS_ALLOWED) <= set(found), "an allowed sleep is gone: drop it from the list"
