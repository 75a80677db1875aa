"""What `ctengine import sentinel` and `ctengine export cases` print and write.

The engine checks, loads and reads (engine/services/sentinel_import.py, case_export.py);
this module only reports to the terminal and writes the CSV.
"""

from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import typer
from sqlmodel import Session

from engine.access import Actor
from engine.clock import Clock
from engine.errors import InvalidInput
from engine.sentinel_format import open_lines
from engine.services.case_export import export_cases
from engine.services.sentinel_import import Imported, import_sentinel
from web.tables import cell


def run_sentinel_import(session: Session, file: Path, *, dry_run: bool, clock: Clock) -> int:
    """Check and load the file, printing progress on standard error; 1 if any row was bad."""

    def progress(stage: str, done: int) -> None:
        typer.echo(f"{stage} {done:,} rows", err=True)

    result = import_sentinel(
        session, open_lines(str(file)), clock=clock, dry_run=dry_run, progress=progress
    )
    for line in summary(result, file.name):
        typer.echo(line, err=bool(result.bad))
    return 1 if result.bad else 0


def summary(result: Imported, name: str) -> list[str]:
    lines = [str(bad) for bad in result.bad]
    if result.ignored_columns:
        lines.append(f"columns not read: {', '.join(result.ignored_columns)}")
    if result.bad:
        count = len(result.bad)
        lines.append(
            f"{name}: {count} bad row{'s' if count != 1 else ''} of {result.rows:,}; "
            "nothing was loaded. Correct them and import the file again."
        )
        return lines
    verb = "would add" if result.dry_run else "added"
    lines.append(
        f"{name}: {result.rows:,} rows checked; {verb} {result.added:,} reports "
        f"({result.already:,} already loaded), {result.people_added:,} people "
        f"({result.people_updated:,} updated), {result.places_added:,} places "
        f"({result.places_updated:,} updated)"
        + ("; dry run: nothing was stored" if result.dry_run else "")
    )
    return lines


def parse_since(text: str | None) -> date | None:
    if not text:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidInput(f"since {text!r} is not a date (use YYYY-MM-DD).", field="since")


def write_csv(out: TextIO, headings: Any, rows: Any) -> int:
    writer = csv.writer(out)
    writer.writerow(headings)
    count = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        count += 1
    return count


def write_case_export(
    session: Session, *, fmt: str, since: str | None, out: Path | None, actor: Actor, clock: Clock
) -> None:
    if fmt != "csv":
        raise InvalidInput(f"format {fmt!r} is not one we write (use csv).", field="format")
    export = export_cases(session, actor=actor, since=parse_since(since), today=clock.today())
    if out is None:
        write_csv(sys.stdout, export.headings, export.rows)
        return
    with out.open("w", encoding="utf-8", newline="") as f:
        count = write_csv(f, export.headings, export.rows)
    typer.echo(f"wrote {count:,} cases to {out}", err=True)
