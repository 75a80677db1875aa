"""The dashboard's tables as plain rows: the page, its CSV downloads and the CSP board report
all show these same rows, so a number can only ever read one way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from engine.figures import FIGURE_LABELS, FIGURES
from engine.performance import DIRECTION_TEXT, RAG_LABELS
from engine.services.dashboard import Dashboard
from web.charts import bar_chart

MONTH_COLUMNS = {
    "applications": "Applications received",
    "threshold_met": "Threshold met",
    "threshold_not_met": "Threshold not met",
    "reviews": "Review outcomes sent",
    "withdrawn": "Withdrawn",
}


@dataclass
class Table:
    name: str
    caption: str
    headings: list[str]
    rows: list[list[Any]]
    chart: Markup | None = None
    # The first this many cells of a row are headers (the row's name); the rest numbers.
    row_headers: int = 1
    notes: list[str] = field(default_factory=list)


def _num(value: Any) -> Any:
    return "no data" if value is None else value


def _period(d: Dashboard) -> str:
    s = d.scope
    return f"{s.start:%-d %B %Y} to {s.end:%-d %B %Y}"


def outcome_tables(d: Dashboard) -> list[dict[str, Any]]:
    """Per outcome: its RAG and comment, its indicators, and the districts compared."""
    out = []
    for o in d.outcomes:
        indicators = Table(
            f"outcome-{o.clock}",
            f"{o.title}: supporting indicators",
            ["Indicator", "Previous year", "Latest 12 months", "Last 6 months",
             "6 months before", "Direction of travel", "Progress"],
            [[i.name + (" (%)" if i.unit == "%" else " (days)"), _num(i.previous_year),
              _num(i.latest_12_months), _num(i.last_6_months), _num(i.earlier_6_months),
              f"{i.direction} {DIRECTION_TEXT[i.direction]}".strip(),
              RAG_LABELS[i.progress] if i.progress != "none" else "no target"]
             for i in o.indicators],
        )  # fmt: skip
        share = o.indicators[0]
        bars = [(d.locality_names[lid], v) for lid, v in share.by_locality.items()]
        districts = Table(
            f"districts-{o.clock}",
            f"{o.title}: % on time by district, latest 12 months",
            ["District", "% on time"],
            [[name, _num(v)] for name, v in bars],
            chart=bar_chart(
                f"{o.title}: % on time by district",
                "Percentage of steps done on time in the latest 12 months, one bar per "
                "district; the table beside it has the same numbers.",
                bars,
                unit="%",
                top=100,
            ),
        )
        tables_ = [indicators, districts]
        out.append({"outcome": o, "rag_label": RAG_LABELS[o.rag], "tables": tables_})
    return out


def tables(d: Dashboard) -> list[Table]:
    """Every supporting table of the dashboard, in page order."""
    return [
        _figures(d), _open(d), _overdue(d), _months(d), _recommendations(d),
        *completion_tables(d), _prompts(d),
    ]  # fmt: skip


COMPLETION_HEADINGS = ["Done on time", "Done late", "Open past their date (today)",
                       "Done on time (%)"]  # fmt: skip


def _completion_cells(row: dict[str, Any]) -> list[Any]:
    return [row["on_time"], row["late"], row["overdue"], _num(row["on_time_share"])]


def completion_tables(d: Dashboard) -> list[Table]:
    """Per completion measure of a workflow (JAG actions): by district with a chart, then
    by district and month."""
    out = []
    for m in d.completion:
        name = m["key"].replace(".", "-")
        districts = [[d.locality_names[r["locality"]], *_completion_cells(r)]
                     for r in m["by_locality"]]  # fmt: skip
        bars = [(d.locality_names[r["locality"]], r["on_time_share"]) for r in m["by_locality"]]
        out.append(Table(
            f"completion-{name}",
            f"{m['title']} by district, {_period(d)}",
            ["District", *COMPLETION_HEADINGS],
            [*districts, ["Total", *_completion_cells(m["total"])]],
            chart=bar_chart(
                f"{m['title']}: % done on time by district",
                f"Percentage done on time of those done, {_period(d)}, one bar per district; "
                "the table beside it has the same numbers.",
                bars, unit="%", top=100,
            ),
        ))  # fmt: skip
        out.append(Table(
            f"completion-months-{name}",
            f"{m['title']} by district and month, {_period(d)}",
            ["Locality", "Month", *COMPLETION_HEADINGS],
            [[d.locality_names[r["locality"]], r["month"], *_completion_cells(r)]
             for r in m["by_month"]],
            row_headers=2,
            notes=["Done on time or late counts in the month it was done. One still open past "
                   "its date counts in the month it fell due (the period's first or last month "
                   "when it fell due outside the period)."],
        ))  # fmt: skip
    return out


def _figures(d: Dashboard) -> Table:
    rows = [[r["name"], *(r[f] for f in FIGURES), "; ".join(r["notes"])] for r in d.figures.rows()]
    return Table(
        "figures",
        f"Statutory figures (s.104), {d.figures.label}: all localities, as published",
        ["Locality", *(FIGURE_LABELS[f] for f in FIGURES), "Notes"],
        rows,
    )


def _open(d: Dashboard) -> Table:
    states = sorted({state for _, state, _ in d.open_cases}, key=list(d.state_labels).index)
    counts = {(loc, st): n for loc, st, n in d.open_cases}
    rows = [
        [d.locality_names[lid], *(counts.get((lid, st), 0) for st in states),
         sum(counts.get((lid, st), 0) for st in states)]
        for lid in d.scope.localities
    ]  # fmt: skip
    rows.append(["Total", *(sum(r[i + 1] for r in rows) for i in range(len(states) + 1))])
    return Table(
        "open",
        "Open cases by state and locality (today)",
        ["Locality", *(d.state_labels[s] for s in states), "All open"],
        rows,
    )


def _overdue(d: Dashboard) -> Table:
    rows = [
        [d.locality_names[loc], d.step_labels.get(step, step), n]
        for loc, step, n in sorted(d.overdue)
    ]
    return Table(
        "overdue",
        "Overdue steps by locality (today)",
        ["Locality", "Step", "Overdue"],
        rows,
        row_headers=2,
    )


def _months(d: Dashboard) -> Table:
    rows = [[m["month"], *(m[c] for c in MONTH_COLUMNS)] for m in d.months]
    return Table(
        "months",
        f"Applications and outcomes by month, {_period(d)}",
        ["Month", *MONTH_COLUMNS.values()],
        rows,
        chart=bar_chart(
            "Applications received by month",
            f"Applications received each month, {_period(d)}; the table beside it has the "
            "same numbers and the outcomes.",
            [(m["month"], m["applications"]) for m in d.months],
        ),
    )


def _recommendations(d: Dashboard) -> Table:
    r = d.recommendations
    s = r["statuses"]
    rows = [
        ["Issued (not withdrawn)", r["issued"]],
        ["Open", s.get("open", 0)],
        ["Accepted (will act)", s.get("accepted", 0)],
        ["Done", s.get("done", 0)],
        ["Declined with a reason", s.get("declined", 0)],
        ["Past their due date and not done", r["overdue"]],
        ["Completed: done or declined (%)", _num(r["completed_share"])],
        ["Recipient had regard to it (%)", _num(r["regard_share"])],
    ]
    return Table(
        "recommendations",
        "Recommendation completion (every recommendation issued, today)",
        ["Measure", "Number"],
        rows,
    )


def _prompts(d: Dashboard) -> Table:
    rows = [
        [d.locality_names[p["locality"]], p["month"], p["second_reports"], p["explained"],
         _num(p["explained_share"])]
        for p in d.prompts
        if p["second_reports"] or p["explained"]
    ]  # fmt: skip
    return Table(
        "prompts",
        f"Second reports within six months, and the case review explained, {_period(d)}",
        ["Locality", "Month", "Second reports within six months", "Told about the case review",
         "Told (%)"],
        rows,
        row_headers=2,
        notes=["The 2025 statutory guidance asks agencies to explain the case review to "
               "everyone who makes a second report within six months; staff record "
               "\"I have explained the case review\" on the complaint."],
    )  # fmt: skip


def outcome_summary(d: Dashboard) -> Table:
    """One row per outcome: the board's front page."""
    return Table(
        "outcomes",
        "Outcomes at a glance, latest 12 months",
        ["Outcome", "Target", "Steps counted", "Overall RAG", "Comment"],
        [[o.title, o.target, o.counted, RAG_LABELS[o.rag], o.comment] for o in d.outcomes],
    )


def every_table(d: Dashboard) -> dict[str, Table]:
    """Each table by name, for its CSV download."""
    found = {t.name: t for t in [outcome_summary(d), *tables(d)]}
    for group in outcome_tables(d):
        found.update({t.name: t for t in group["tables"]})
    return found
