"""Charts drawn on the server as SVG: horizontal bars, one group per row, one bar per series.

No script, no style attribute (the pages' CSP forbids both): classes only, coloured by
`admin.css`. The table beside each chart holds the same figures as text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from markupsafe import Markup, escape

ROW: Final = 14  # height of one bar
GAP: Final = 10  # between groups
LABEL_W: Final = 220
WIDTH: Final = 720
CLASSES: Final = ("bar", "bar alt")


def bar_chart(
    title: str, rows: Sequence[tuple[str, Sequence[int | None]]], series: Sequence[str]
) -> Markup:
    """A chart of `rows` (label, one value per series; None is drawn as nothing)."""
    top = max((v or 0 for _, values in rows for v in values), default=0) or 1
    group = ROW * len(series) + GAP
    height = 30 + group * max(len(rows), 1)
    plot = WIDTH - LABEL_W - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img"'
        f' aria-labelledby="chart-title" focusable="false">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for tick in range(5):
        x = LABEL_W + plot * tick / 4
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{height - 5}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="14" text-anchor="middle">{round(top * tick / 4)}</text>'
        )
    for i, (label, values) in enumerate(rows):
        y = 24 + i * group
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + ROW * len(series) / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(_short(label))}</text>"
        )
        for j, value in enumerate(values):
            if value is None:
                continue
            w = plot * value / top
            parts.append(
                f'<rect class="{CLASSES[j % 2]}" x="{LABEL_W}" y="{y + j * ROW}" width="{w:.1f}"'
                f' height="{ROW - 2}"><title>{escape(series[j])} : {value}</title></rect>'
            )
            parts.append(
                f'<text x="{LABEL_W + w + 4:.1f}" y="{y + j * ROW + ROW - 4}">{value}</text>'
            )
    parts.append(f'<line class="axis" x1="{LABEL_W}" y1="20" x2="{LABEL_W}" y2="{height - 5}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704  # every text is escaped above


def _short(label: str, size: int = 32) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"
