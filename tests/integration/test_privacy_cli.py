"""`ctengine case export` and the worker's privacy jobs from the command line (SQLite file,
configured through the environment, as tests/integration/test_cli.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import make_session_factory
from engine.models import Case, CaseView, EqualitiesHeld, EqualitiesResponse, Party, PrivacyEvent
from engine.services import equalities
from tests.factories import make_case
from tests.integration.test_cli import (  # noqa: F401  (fixtures)
    db,
    migrated,
    ok,
    place,
    pytestmark,
    run,
)


def test_case_export_writes_the_json_and_the_pdf_and_is_recorded(
    db: Engine,  # noqa: F811
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    with make_session_factory(db)() as s:
        ref = make_case(s, clock, email="val@example.org").reference
    out = ok("case", "export", ref, "--out", str(tmp_path / "sar"))
    written = sorted(Path(line) for line in out.split())
    assert [p.name for p in written] == [
        f"{ref}-subject-access.json",
        f"{ref}-subject-access.pdf",
    ]
    data = json.loads(written[0].read_text(encoding="utf-8"))
    assert data["what_we_hold"]["people"][0]["email"] == "val@example.org"
    assert written[1].read_bytes().startswith(b"%PDF")
    with make_session_factory(db)() as s:
        recorded = s.exec(select(CaseView)).all()
    assert [(v.user_id, v.what, v.item) for v in recorded] == [
        (None, "export", "json"),
        (None, "export", "pdf"),
    ]
    failed = run("case", "export", "CT-2099-999999")
    assert failed.exit_code != 0 and "There is no case CT-2099-999999" in failed.stderr


def test_worker_once_as_of_applies_the_schedule_and_releases_equalities_answers(
    db: Engine,  # noqa: F811
    clock: FixedClock,
) -> None:
    factory = make_session_factory(db)
    with factory() as s:
        ref = make_case(s, clock).reference
        s.execute(
            update(Case)
            .where(Case.reference == ref)  # type: ignore[arg-type]
            .values(closed_at=datetime(2026, 4, 1, tzinfo=UTC), state="closed")
        )
        for age in ("18_24", "25_34"):
            equalities.add_response(
                s,
                clock=clock,
                area_id="llr",
                locality_id="leicester",
                answers=equalities.EqualitiesIn(age=age),
            )
        s.commit()
    out = ok("worker", "--once", "--as-of", "2026-03-31T12:00:00")
    assert "equalities answers released: 0 (waiting: 2)" in out
    assert "retention: 0 cases" in out
    out = ok("worker", "--once", "--as-of", "2032-04-01T00:00:00")
    assert "equalities answers released: 2 (waiting: 0)" in out
    assert "retention: 1 cases and 0 complaints anonymised, 0 on legal hold" in out
    with factory() as s:
        assert s.exec(select(Party)).one().name == "Anonymised"
        assert s.exec(select(PrivacyEvent)).one().action == "case_anonymised"
        assert s.exec(select(EqualitiesHeld)).all() == []
        assert len(s.exec(select(EqualitiesResponse)).all()) == 2
