"""The benchmarks' replay ceiling: captured statements replayed raw on a twin give the same
rows; the results table carries figure, ceiling, ratio and load average."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCH))
    yield importlib.import_module("_ceilings")
    sys.modules.pop("_ceilings", None)


def _make(path: Path):
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
        conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
    return engine


def test_captured_statements_replay_to_the_same_rows(bench, tmp_path: Path) -> None:
    real, twin = _make(tmp_path / "real.db"), _make(tmp_path / "twin.db")
    with bench.capture(real) as captured, real.begin() as conn:
        conn.execute(text("UPDATE t SET v = :v WHERE id = 1"), {"v": "b"})
        conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "c"}, {"v": "d"}])
        conn.execute(text("SELECT v FROM t")).all()
    assert [s for s, _p, _m in captured.statements if s.startswith(("BEGIN", "COMMIT"))] == []
    assert len(captured.statements) == 3
    assert captured.statements[1][2] is True  # the two-row INSERT went as executemany

    raw = bench.raw_sqlite(tmp_path / "twin.db")
    seconds = bench.replay_sqlite(raw, captured)
    raw.close()
    assert seconds > 0
    read = "SELECT id, v FROM t ORDER BY id"
    with real.connect() as a, twin.connect() as b:
        assert a.execute(text(read)).all() == b.execute(text(read)).all()
        assert b.execute(text(read)).all() == [(1, "b"), (2, "c"), (3, "d")]


def test_record_writes_one_line_with_ceiling_ratio_and_load(
    bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.jsonl"
    monkeypatch.setenv(bench.RESULTS_ENV, str(out))
    bench.record("x.py", "step", 3.0, "ms", "bare commit", 2.0, 1.5, "<= 1.5x", True)
    bench.record("x.py", "step", 4.0, "ms", "bare commit", 2.0, 2.0, "<= 1.5x", False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["met"] for r in rows] == ["met", "MISSED"]
    assert rows[0]["ceiling"] == 2.0 and rows[0]["ratio"] == 1.5
    assert isinstance(rows[0]["load"], float)
    printed = capsys.readouterr().out
    assert "ceiling bare commit 2.000" in printed and "load average" in printed
