"""Text on its way to a terminal or a spreadsheet, and names that must read as they look.

- **Terminals.** A referral's text printed by `ttx demo-inbox`, or a centre name printed by
  any `ttx` command, could hold escape sequences: clear the screen, rewrite earlier lines,
  set the window title, or hide text. `for_terminal` removes escape sequences and every
  control character but newline and tab; `SafeStream` applies it to everything a command
  writes.
- **Spreadsheets.** A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
  a formula to Excel and LibreOffice (CSV injection). `csv_cell` prefixes such a value with an
  apostrophe, as OWASP advises; `csv_writer` does it for every cell.
- **Names.** Bidirectional overrides and zero-width characters make a name display other
  than it is ("Centre\u202eXYZ"): `invisible_problem` says why a name is refused.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

# CSI (ESC [ … final), OSC (ESC ] … BEL or ST), other two-byte ESC sequences, then single
# C0/C1 control characters (but \t and \n) and the bidi controls.
_TERMINAL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-_]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def for_terminal(text: str) -> str:
    """`text` with escape sequences and control characters (but \\n and \\t) removed."""
    return _TERMINAL.sub("", text)


class SafeStream:
    """A text stream that writes through `for_terminal` (for `sys.stdout`/`sys.stderr`)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(for_terminal(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def csv_cell(value: Any) -> Any:
    """A value safe to put in a CSV cell: text that a spreadsheet would run as a formula is
    prefixed with an apostrophe; other values are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], **options: Any) -> _SafeWriter:
    """`csv.writer` whose every cell goes through `csv_cell`."""
    return _SafeWriter(csv.writer(stream, **options))


def invisible_problem(text: str) -> str | None:
    """Why a name may not be stored: it holds a bidi control or a zero-width character."""
    found = _INVISIBLE.search(text)
    if found is None:
        return None
    return (
        f"contains an invisible character (U+{ord(found.group()):04X}: a direction override "
        "or a zero-width character) that would make it display other than it is"
    )
