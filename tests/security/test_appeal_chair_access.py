"""An appeal chair's access to the case ends with their decision, except to that decision
(issue 16, hole 9)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Document
from tests.security.test_appeal_independence import _fire, _not_met_and_appealed

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.mark.parametrize("decision", ["appeal_not_upheld", "appeal_upheld"])
def test_the_appeal_chair_reads_the_case_until_their_decision_and_then_only_that(
    app: Any, session_factory: SessionFactory, clock: FixedClock, decision: str
) -> None:
    from fastapi.testclient import TestClient

    staff, ref = _not_met_and_appealed(session_factory, clock)
    _fire(
        session_factory,
        clock,
        ref,
        "appeal_papers_sent",
        staff["contact"].actor,
        {"appeal_chair_email": staff["appeal_chair"].email},
    )
    with session_factory() as s:
        pack = s.exec(select(Document.id)).first()
    chair = {"authorization": f"Bearer {staff['appeal_chair'].token}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(f"/api/v1/cases/{ref}", headers=chair).status_code == 200
        assert client.get(f"/api/v1/cases/{ref}/appeal-decision", headers=chair).status_code == 404
        _fire(
            session_factory,
            clock,
            ref,
            decision,
            staff["appeal_chair"].actor,
            {"reasons": "All facts were considered."},
        )
        assert client.get(f"/api/v1/cases/{ref}", headers=chair).status_code == 404
        mine = client.get(f"/api/v1/cases/{ref}/appeal-decision", headers=chair)
        assert mine.status_code == 200
        assert mine.json()["decision"] == decision
        assert mine.json()["reasons"] == "All facts were considered."
        assert set(mine.json()) == {"reference", "decision", "decided_at", "reasons"}
        # Nobody else reads it there; staff of the case read the whole case as before.
        jag = {"authorization": f"Bearer {staff['jag_chair'].token}"}
        assert client.get(f"/api/v1/cases/{ref}/appeal-decision", headers=jag).status_code == 404
        assert client.get(f"/api/v1/cases/{ref}", headers=jag).status_code == 200
    assert pack is not None
