"""`ctengine report board`: the dashboard's tables and charts as HTML and a tagged PDF."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidInput
from tests.integration.test_figures import Cases, build_history
from web.board_report import month_end, write_board_report
from web.cli import app as cli


@pytest.fixture
def history(session_factory: SessionFactory, clock: FixedClock) -> Cases:
    return build_history(session_factory, clock)


def test_the_report_holds_the_dashboard_tables_and_charts(
    history: Cases, session_factory: SessionFactory, tmp_path: Path
) -> None:
    with session_factory() as s:
        written = write_board_report(
            s, area_id="llr", month="2026-06", out=tmp_path, today=date(2026, 7, 1),
            written="1 July 2026 10:00 UTC",
        )  # fmt: skip
    html = written.html.read_text("utf-8")
    assert written.html.name == "board-report-llr-2026-06.html"
    assert "the 12 months to 30 June 2026" in html
    assert "Statutory figures (s.104), April 2026 to March 2027" in html
    assert html.count('role="img"') >= 2 and "Applications and outcomes by month" in html
    pdf = written.pdf.read_bytes()
    assert pdf.startswith(b"%PDF") and b"/StructTreeRoot" in pdf and b"/Lang" in pdf


@pytest.mark.parametrize("month", ["2026-13", "26-06", "2026-08", "June"])
def test_a_bad_or_future_month_is_refused(month: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        month_end(month, date(2026, 7, 1))
    assert caught.value.field == "month"


def test_the_month_in_progress_ends_today() -> None:
    assert month_end("2026-07", date(2026, 7, 15)) == date(2026, 7, 15)
    assert month_end("2026-02", date(2026, 7, 15)) == date(2026, 2, 28)


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="builds its own SQLite file")
def test_the_command_writes_both_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'ct.db'}")
    monkeypatch.delenv("CTENGINE_DATABASE_SCHEMA", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    out = tmp_path / "board"
    done = runner.invoke(cli, ["report", "board", "--area", "llr", "--month", "2026-01",
                               "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert (out / "board-report-llr-2026-01.pdf").exists()
    assert (out / "board-report-llr-2026-01.html").exists()
    bad = runner.invoke(cli, ["report", "board", "--area", "nowhere", "--month", "2026-01",
                              "--out", str(out)])  # fmt: skip
    assert bad.exit_code == 2 and "no area" in bad.output
