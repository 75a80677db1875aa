"""The monthly CSP board report: the managers' dashboard for the 12 months to a month's end,
written as HTML (with its charts) and as a tagged PDF (its tables) into a folder."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from engine.access import Actor, Grant
from engine.errors import InvalidInput
from engine.pdf import Pdf
from engine.services.dashboard import Dashboard, dashboard
from web.staff.dashboard_tables import Table, outcome_summary, outcome_tables, tables

TEMPLATES = Path(__file__).resolve().parent / "templates"
MONTH_TEXT = "Give the month as YYYY-MM, for example 2026-11."


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path


def month_end(month: str, today: date) -> date:
    """The last day of the month asked for (today, for the month in progress)."""
    try:
        year, number = (int(p) for p in month.split("-"))
        last = date(year, number, calendar.monthrange(year, number)[1])
    except ValueError:
        raise InvalidInput(MONTH_TEXT, field="month") from None
    if len(month) != 7 or date(year, number, 1) > today:
        raise InvalidInput(f"{MONTH_TEXT} It cannot be a month still to come.", field="month")
    return min(last, today)


def board_actor(area_id: str) -> Actor:
    """The report is the area managers' dashboard, so it is built as an area manager."""
    return Actor(
        user_id=None, label="ctengine board report", grants=(Grant("manager", area_id, None),)
    )


def write_board_report(
    session: Session, *, area_id: str, month: str, out: Path, today: date, written: str
) -> Written:
    from engine import registry

    try:
        registry.area(area_id)
    except LookupError:
        raise InvalidInput(f"There is no area {area_id!r}.", field="area") from None
    d = dashboard(session, actor=board_actor(area_id), area_id=area_id, end=month_end(month, today),
                  today=today)  # fmt: skip
    title = f"ASB Case Review performance report, {d.area_name}, {month}"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"board-report-{area_id}-{month}"
    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    html_path.write_text(_html(d, title, written), "utf-8")
    pdf_path.write_bytes(_pdf(d, title, written))
    return Written(html_path, pdf_path)


def _html(d: Dashboard, title: str, written: str) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    return env.get_template("staff/board_report.html").render(
        d=d, title=title, written=written, summary=outcome_summary(d),
        outcomes=outcome_tables(d), tables=tables(d),
    )  # fmt: skip


def _pdf(d: Dashboard, title: str, written: str) -> bytes:
    doc = Pdf(f"{d.area_name} board report", title)
    doc.heading(title, 1)
    doc.paragraph(f"The 12 months to {d.scope.end:%-d %B %Y}. Written {written} from the case "
                  "records. The charts are in the HTML copy; each chart's numbers are in the "
                  "tables here.")  # fmt: skip
    doc.heading("Outcomes", 2)
    _table(doc, outcome_summary(d))
    for group in outcome_tables(d):
        o = group["outcome"]
        doc.heading(f"{o.title}: {group['rag_label']}", 3)
        doc.paragraph(o.comment)
        for t in group["tables"]:
            _table(doc, t)
    doc.heading("Supporting tables", 2)
    for t in tables(d):
        _table(doc, t)
    doc.heading("JAG action completion", 2)
    doc.paragraph("JAG case work is not recorded in ctengine yet; JAG action completion will "
                  "be reported here once it is.")  # fmt: skip
    return doc.finish()


def _table(doc: Pdf, t: Table) -> None:
    """A table as a caption and one line per row (each "heading: value" pair written out),
    so the tagged PDF reads in order; wide tables stay legible on A4."""
    doc.heading(t.caption, 3)
    if not t.rows:
        doc.paragraph("Nothing to show.")
        return
    for row in t.rows:
        name = " ".join(str(c) for c in row[: t.row_headers])
        rest = "; ".join(
            f"{h}: {v}"
            for h, v in zip(t.headings[t.row_headers :], row[t.row_headers :], strict=True)
        )
        doc.bullet(f"{name}: {rest}")
