"""The sweep builds each reminder's context JSON from parts shared by many deadlines; the
text must be exactly what json.dumps gives for the whole context."""

from __future__ import annotations

import json
from datetime import date

import pytest

from engine import reminders
from engine.sweep_context import _Claimed, _context, _context_head, _locality_tail


def _row(**changes: object) -> _Claimed:
    row = _Claimed(
        id=7,
        case_id=3,
        name="acknowledgement",
        owner_role="contact",
        due_on=date(2026, 3, 4),
        reminder_step=None,
        label=None,
        start_on=date(2026, 3, 2),
        amount=2,
        reference="CT-2026-000003",
        area_id="llr",
        locality_id="leicester",
        workflow_name="community_trigger",
        status="open",
    )
    return row._replace(**changes)


STEP = reminders.Step("remind_0", date(2026, 3, 4), ())


@pytest.mark.parametrize(
    "first, other",
    [
        (_row(), _row(id=8, case_id=4, reference="CT-2026-000004")),
        # A clock counted back from a meeting names that date; each deadline its own.
        (
            _row(name="jag_papers", amount=-3, start_on=date(2026, 3, 9)),
            _row(name="jag_papers", amount=-3, start_on=date(2026, 3, 16), reference="CT-9"),
        ),
        # An item's own label, with characters JSON escapes, and an odd reference.
        (
            _row(name="recommendation_due", label='Fix the "lights" – café «B»'),
            _row(name="recommendation_due", label='Fix the "lights" – café «B»', reference='R"1\\'),
        ),
        (_row(locality_id="melton"), _row(locality_id="melton", reference="CT-2026-000099")),
    ],
)
def test_the_context_text_is_json_dumps_of_the_context(first: _Claimed, other: _Claimed) -> None:
    tail = _locality_tail(first, STEP)  # worked out once, from the plan's first deadline
    for row in (first, other):
        text = _context_head(row) + tail
        assert text == json.dumps(_context(row, STEP))
        assert json.loads(text) == _context(row, STEP)
