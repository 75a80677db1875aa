"""`ctengine import sentinel` and `ctengine export cases` on a fresh SQLite file."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from engine.clock import FixedClock
from engine.db import make_session_factory
from engine.models import Report
from tests.factories import make_case
from tests.integration.test_cli import count, ok, run
from tests.integration.test_cli import db as db  # the fixtures
from tests.integration.test_cli import migrated as migrated
from tests.integration.test_cli import place as place

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the CLI tests build their own SQLite database"
)
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sentinel-sample.csv"


def test_import_sentinel_loads_the_sample_once_and_a_dry_run_stores_nothing(db: Engine) -> None:
    dry = ok("import", "sentinel", str(SAMPLE), "--dry-run")
    assert "would add 5 reports" in dry and "dry run: nothing was stored" in dry
    assert count(db, Report) == 0
    first = ok("import", "sentinel", str(SAMPLE))
    assert "5 rows checked; added 5 reports (0 already loaded), 1 people" in first
    again = ok("import", "sentinel", str(SAMPLE))
    assert "added 0 reports (5 already loaded)" in again
    assert count(db, Report) == 5


def test_import_sentinel_lists_the_bad_rows_and_exits_1(db: Engine, tmp_path: Path) -> None:
    lines = SAMPLE.read_text().splitlines()
    lines[2] = lines[2].replace("2026-01-07", "2026-13-07")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    result = run("import", "sentinel", str(bad))
    assert result.exit_code == 1
    assert "line 3: reported_on '2026-13-07' is not a date (use YYYY-MM-DD)" in result.stderr
    assert "1 bad row of 5; nothing was loaded" in result.stderr
    assert count(db, Report) == 0


def test_export_cases_writes_every_case_as_csv(db: Engine, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    with make_session_factory(db)() as s:
        ref = make_case(s, clock).reference
    rows = list(csv.DictReader(io.StringIO(ok("export", "cases", "--format", "csv"))))
    assert [r["reference"] for r in rows] == [ref] and rows[0]["state"]
    assert ok("export", "cases", "--since", "2026-03-03").strip().count("\n") == 0  # header only
    out = tmp_path / "cases.csv"
    assert ok("export", "cases", "--out", str(out)) == ""
    assert ref in out.read_text()
    bad = run("export", "cases", "--since", "3 March")
    assert bad.exit_code == 2 and "since '3 March' is not a date (use YYYY-MM-DD)" in bad.stderr
    assert run("export", "cases", "--format", "xlsx").exit_code == 2
