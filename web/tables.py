"""Tables as CSV downloads: the same rows a page shows, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.responses import Response


def cell(value: Any) -> str:
    # A cell a spreadsheet would run as a formula is quoted, whatever its source.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def csv_response(filename: str, headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    return Response(
        csv_text(headings, rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
