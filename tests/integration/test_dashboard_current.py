"""The dashboard is kept current event by event: a new application or decision shows at
once, the totals kept up to date equal a fresh count, and a row whose transaction commits
after a later one is still counted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import AuditEvent, Case
from engine.services import dashboard as dashboard_service
from engine.services import figures as figures_service
from engine.trail import AUDIT, TrailCursor
from tests.integration.test_dashboard import TODAY, board
from tests.integration.test_figures import Cases, build_history


@pytest.fixture
def history(session_factory: SessionFactory, clock: FixedClock) -> Cases:
    return build_history(session_factory, clock)


def month(d: Any, name: str = "2026-07") -> dict[str, Any]:
    return {m["month"]: m for m in d.months}[name]


def outcome(d: Any, clock: str) -> Any:
    return {o.clock: o for o in d.outcomes}[clock]


def test_a_new_application_and_decision_show_at_once(
    history: Cases, session_factory: SessionFactory
) -> None:
    area, melton = board(session_factory, history), board(session_factory, history,
                                                            locality="melton")  # fmt: skip
    ref = history.new("2026-07-01T11:00", locality="melton", incidents=1)
    for d in (board(session_factory, history), board(session_factory, history, locality="melton")):
        assert month(d)["applications"] == month(area)["applications"] + 1
        open_ = {(loc, st): n for loc, st, n in d.open_cases}
        assert open_[("melton", "submitted")] == 1
    history.fire(ref, "2026-07-01T12:00", "acknowledge", "melton_jag_chair")
    history.fire(ref, "2026-07-01T13:00", "threshold_not_met", "melton_jag_chair",
                 {"reasons": "One incident only."})  # fmt: skip
    for before, kw in ((area, {}), (melton, {"locality": "melton"})):
        d = board(session_factory, history, **kw)
        assert month(d)["threshold_not_met"] == month(before)["threshold_not_met"] + 1
        ack, was = outcome(d, "acknowledgement"), outcome(before, "acknowledgement")
        assert ack.counted == was.counted + 1
        assert ack.indicators[0].by_locality["melton"] == 100.0
        open_ = {(loc, st): n for loc, st, n in d.open_cases}
        assert ("melton", "submitted") not in open_
        assert open_[("melton", "threshold_not_met")] == 2


def plain(d: Any) -> dict[str, Any]:
    return {
        "open": sorted(d.open_cases),
        "overdue": sorted(d.overdue),
        "outcomes": d.outcomes,
        "months": d.months,
        "recommendations": d.recommendations,
        "prompts": d.prompts,
    }


def test_totals_kept_up_to_date_equal_a_fresh_count(
    history: Cases, session_factory: SessionFactory
) -> None:
    scopes: list[dict[str, Any]] = [
        {}, {"locality": "leicester"},
        {"start": date(2026, 3, 1), "end": date(2026, 6, 30)},
    ]  # fmt: skip
    for kw in scopes:
        board(session_factory, history, **kw)
    ref = history.new("2026-07-01T11:00")
    history.fire(ref, "2026-07-01T11:30", "acknowledge", "contact")
    history.fire(ref, "2026-07-01T12:00", "withdrawn", "contact", {"reason": "Sorted out."})
    kept = [plain(board(session_factory, history, **kw)) for kw in scopes]
    dashboard_service.clear_cache()
    fresh = [plain(board(session_factory, history, **kw)) for kw in scopes]
    assert kept == fresh
    assert month(board(session_factory, history))["withdrawn"] == 1


def published(sessions: SessionFactory) -> dict[str, Any]:
    with sessions() as s:
        return figures_service.statutory_figures(s, area_id="llr", year=2026, today=TODAY).as_json()


def test_a_row_committed_after_a_later_one_is_still_counted(
    history: Cases, session_factory: SessionFactory
) -> None:
    """PostgreSQL hands out ids when rows are inserted, not when they commit: the dashboard
    and the figures must not skip an id they found missing below the highest one."""
    fresh = history.new("2026-07-01T08:00", locality="melton")
    before, figures_before = month(board(session_factory, history)), published(session_factory)
    with session_factory() as s:
        top = s.exec(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
        a = s.exec(select(Case).where(Case.locality_id == "leicester")).first()
        b = s.exec(select(Case).where(Case.reference == fresh)).one()
    assert top is not None and a is not None

    def row(case: Case, id_: int, trigger: str) -> AuditEvent:
        return AuditEvent(
            id=id_, case_id=case.id, version=1000 + id_, actor_label="test", trigger=trigger,
            occurred_at=datetime(2026, 7, 1, 9, 0, tzinfo=UTC), from_state=case.state,
            to_state=case.state, data={},
        )  # fmt: skip

    with session_factory() as s:  # the later transaction commits first
        s.add(row(a, top + 2, "withdrawn"))
        s.commit()
    assert month(board(session_factory, history))["withdrawn"] == before["withdrawn"] + 1
    assert published(session_factory) == figures_before
    with session_factory() as s:  # then the earlier one
        s.add(row(b, top + 1, "threshold_not_met"))
        s.commit()
    after = month(board(session_factory, history))
    assert after["threshold_not_met"] == before["threshold_not_met"] + 1
    melton = published(session_factory)["localities"]["melton"]
    assert melton["threshold_not_met"] == figures_before["localities"]["melton"][
        "threshold_not_met"] + 1  # fmt: skip


def test_a_cursor_asks_again_for_missing_ids_until_they_appear(
    history: Cases, session_factory: SessionFactory
) -> None:
    with session_factory() as s:
        cursor = TrailCursor(AUDIT)
        cursor.start(s)
        top, case_id = cursor.mark, s.exec(select(Case.id)).first()
        assert not cursor.new_rows(s)
        for id_ in (top + 3, top + 1):
            s.add(AuditEvent(id=id_, case_id=case_id, version=5000 + id_, actor_label="t",
                             trigger="note", occurred_at=history.clock.now(), to_state="x",
                             data={}))  # fmt: skip
        s.commit()
        assert [i for i, _ in cursor.new_rows(s)] == [top + 1, top + 3]
        assert cursor.gaps == {top + 2}
        s.add(AuditEvent(id=top + 2, case_id=case_id, version=5000 + top + 2, actor_label="t",
                         trigger="note", occurred_at=history.clock.now(), to_state="x",
                         data={}))  # fmt: skip
        s.commit()
        assert [i for i, _ in cursor.new_rows(s)] == [top + 2]
        assert cursor.gaps == set() and not cursor.new_rows(s)


def test_a_read_that_fails_half_way_starts_again_next_time(
    history: Cases, session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trail cursor moves before the cases are read: if that read fails, the next
    read must not take the changes as already counted."""
    before = month(board(session_factory, history))
    published(session_factory)
    history.new("2026-07-01T11:00")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as m:
        m.setattr(dashboard_service, "load_facts", broken)
        m.setattr(figures_service, "load_events", broken)
        with pytest.raises(RuntimeError):
            board(session_factory, history)
        with pytest.raises(RuntimeError):
            published(session_factory)
    assert month(board(session_factory, history))["applications"] == before["applications"] + 1
    assert published(session_factory)["total"]["applications"] == 4
