"""`ruff format` lays out the code; `# fmt: skip` is kept for data tables only: a module-level
constant (UPPER_CASE) holding a literal tuple, list, dict or set, laid out as a table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
SKIP = "# fmt: skip"


def is_table(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Assign | ast.AnnAssign):
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if not names or not all(re.fullmatch(r"_?[A-Z][A-Z0-9_]*", name) for name in names):
        return False
    value = node.value
    if isinstance(value, ast.Call) and value.args:  # frozenset({...}), str.maketrans({...})
        value = value.args[0]
    return isinstance(value, ast.Tuple | ast.List | ast.Dict | ast.Set)


def skips_outside_tables(path: Path) -> list[int]:
    source = path.read_text(encoding="utf-8")
    tables = {node.end_lineno for node in ast.parse(source).body if is_table(node)}
    lines = source.splitlines()
    return [n for n, line in enumerate(lines, start=1) if SKIP in line and n not in tables]


def test_fmt_skip_only_on_data_tables() -> None:
    found = {
        f"{path.relative_to(APP)}:{n}"
        for path in sorted(APP.rglob("*.py"))
        for n in skips_outside_tables(path)
    }
    assert found == set()


def test_the_rule_sees_a_skip_outside_a_table(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        'WORDS = ("a", "b")  # fmt: skip\n'
        "def f(x: int,\n      y: int) -> int:  # fmt: skip\n"
        "    return x\n"
        'total = ("a", "b")  # fmt: skip\n',
        encoding="utf-8",
    )
    assert skips_outside_tables(module) == [3, 5]
