"""Small accessible SVG bar charts drawn on the server: a title and description for screen
readers, text labels, no script; each page shows the same numbers in a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

BAR = "#1d70b8"  # GOV.UK blue on white: 5.2:1
TEXT = "#0b0c0c"
ROW = 28
LABEL_WIDTH = 190
BAR_WIDTH = 320
_ids = count(1)


def bar_chart(
    title: str,
    description: str,
    bars: Sequence[tuple[str, float | None]],
    *,
    unit: str = "",
    top: float | None = None,
) -> Markup:
    """Horizontal bars, one per (label, value); a missing value is written "no data"."""
    n = next(_ids)
    top = top or max((v for _, v in bars if v), default=1) or 1
    height = ROW * len(bars) + 10
    width = LABEL_WIDTH + BAR_WIDTH + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ct-chart" role="img" '
        f'aria-labelledby="chart-{n}-title chart-{n}-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="chart-{n}-title">{escape(title)}</title>',
        f'<desc id="chart-{n}-desc">{escape(description)}</desc>',
    ]
    for i, (label, value) in enumerate(bars):
        y = 5 + i * ROW
        length = 0 if value is None else max(1, round(BAR_WIDTH * value / top))
        shown = "no data" if value is None else f"{value:g}{unit}"
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" font-size="14" '
            f'fill="{TEXT}" font-family="arial, sans-serif">{escape(label)}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length}" height="{ROW - 8}" '
            f'fill="{BAR}"/>',
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 18}" font-size="14" fill="{TEXT}" '
            f'font-family="arial, sans-serif">{escape(shown)}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))
