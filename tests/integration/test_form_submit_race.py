"""Sending the form's answers while another tab changes or sends them.

`form_sessions.submit` reads the answers and builds the application before its write
transaction begins; these tests act as the other tab at exactly that moment (inside `build`,
which runs between the read and the write), so no threads and no waiting are needed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from engine import case_detail
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, EqualitiesHeld, EqualitiesResponse, FormSession
from web.public import answers as summary
from workflows.community_trigger.services import form_sessions

TOKEN = "t" * 43


def complete_answers(today: date) -> dict[str, Any]:
    happened = [today - timedelta(days=20 + 7 * n) for n in range(3)]
    return {
        "who": {"role": "victim"},
        "your-name": {"name": "Val Victim"},
        "address": {
            "line1": "1 High Street",
            "line2": None,
            "town": "Leicester",
            "postcode": "LE1 6ZG",
        },
        "locality": "leicester",
        "council_choices": None,
        "contact": {"preference": "email"},
        "contact-details": {"email": "val@example.org"},
        "needs": {"details": None},
        "incidents": [
            {
                "id": f"i{n}",
                "date": day.isoformat(),
                "place": "Outside my front door",
                "description": f"Incident {n + 1}: shouting at 2am.",
                "hate": "no",
                "characteristics": [],
                "reports": [
                    {
                        "id": f"r{n}",
                        "agency": "police",
                        "date": (day + timedelta(days=1)).isoformat(),
                        "reference": None,
                        "officer": None,
                    }
                ],
            }
            for n, day in enumerate(happened)
        ],
        "incidents_done": True,
        "impact": {"text": "I cannot sleep."},
        "vulnerabilities": {"details": None},
        "outcome": {"text": "I want it to stop."},
        "involvement": {"choice": "attend"},
        "sharing": {"agree": "yes"},
        "equalities": {"age": "35_44"},
    }


def save(session_factory: SessionFactory, clock: FixedClock, answers: dict[str, Any]) -> None:
    with session_factory() as s:
        form_sessions.update(
            s, clock=clock, token=TOKEN, idle_minutes=60, change=lambda _: answers, create=True
        )


def count(session_factory: SessionFactory, model: Any) -> int:
    with session_factory() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_answers_changed_in_another_tab_while_sending_are_the_ones_sent(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    first = complete_answers(clock.today())
    save(session_factory, clock, first)
    seen: list[str] = []

    def build(answers: dict[str, Any]) -> Any:
        seen.append(answers["impact"]["text"])
        if len(seen) == 1:  # the other tab saves a changed answer just after the read
            save(session_factory, clock, {**first, "impact": {"text": "It got worse."}})
        return summary.build({**answers, "declaration": True})

    with session_factory() as s:
        done = form_sessions.submit(s, clock=clock, token=TOKEN, build=build)
    assert seen == ["I cannot sleep.", "It got worse."]
    with session_factory() as s:
        case = case_detail.load_by_id(s, done.case_id)
        assert case is not None and case.impact == "It got worse."
    assert count(session_factory, Case) == 1
    # Held for release with others (engine.services.equalities): one, not two.
    assert count(session_factory, EqualitiesHeld) == 1
    assert count(session_factory, EqualitiesResponse) == 0
    assert count(session_factory, FormSession) == 0


def test_answers_sent_from_another_tab_meanwhile_are_not_sent_again(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    save(session_factory, clock, complete_answers(clock.today()))

    def build(answers: dict[str, Any]) -> Any:
        with session_factory() as other:  # the other tab sends them first
            form_sessions.submit(
                other,
                clock=clock,
                token=TOKEN,
                build=lambda a: summary.build({**a, "declaration": True}),
            )
        return summary.build({**answers, "declaration": True})

    with session_factory() as s, pytest.raises(form_sessions.FormExpired):
        form_sessions.submit(s, clock=clock, token=TOKEN, build=build)
    assert count(session_factory, Case) == 1
    # Held for release with others (engine.services.equalities): one, not two.
    assert count(session_factory, EqualitiesHeld) == 1
    assert count(session_factory, EqualitiesResponse) == 0
    assert count(session_factory, FormSession) == 0
