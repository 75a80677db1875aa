"""Wording the victim and staff read: dates as GOV.UK writes them, counts that agree, questions
about the right person, and the one-month rule as the law words it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from engine import registry
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Recommendation
from tests.integration.test_community_trigger_journey import Journey
from tests.integration.test_public_flow import Visitor
from tests.unit.test_documents import to_response
from workflows.community_trigger import AppealData
from workflows.community_trigger.guards import (
    GuardContext,
    appeal_in_time_or_accepted_late,
    recommendations_resolved,
)

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


def test_guards_write_dates_without_a_leading_zero_and_count_in_words(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_response(j, clock)  # two recommendations; the appeal window runs to Friday 1 May 2026
    with session_factory() as s:
        case = j.case(s)
        ctx = GuardContext(s, case, registry.area("llr"), "case_closed", date(2026, 5, 6))
        late = AppealData(ground="process_not_considered", details="Not heard.")
        appeal = GuardContext(
            s, case, registry.area("llr"), "appeal_lodged", date(2026, 5, 6), late
        )
        assert appeal_in_time_or_accepted_late(appeal).reason.startswith(
            "The appeal window closed on 1 May 2026. "
        )
        verdict = recommendations_resolved(ctx)
        assert verdict.reason == "Recommendations 1 and 2 are not yet done or declined."
        first = s.exec(select(Recommendation).where(Recommendation.seq == 1)).one()
        first.status = "done"
        s.add(first)
        s.flush()
        assert recommendations_resolved(ctx).reason == (
            "Recommendation 2 is not yet done or declined."
        )
        s.rollback()


def test_a_group_is_asked_about_the_group_and_someone_else_about_them(client: Any) -> None:
    group = Visitor(client)
    group.next("/apply/who", {"role": "group"})
    page = group.get("/apply/permission").text
    assert "Has the group or business agreed that you can apply for it?" in page
    assert "Have they given permission" not in page
    refused = group.post("/apply/permission", {}, status=422).text
    assert "Select yes if the group or business has agreed that you can apply for it" in refused
    assert (
        "How has the behaviour affected the group or business?" in group.get("/apply/impact").text
    )
    assert (
        "Enter how the behaviour has affected the group or business"
        in group.post("/apply/impact", {"text": ""}, status=422).text
    )

    other = Visitor(client)
    other.next("/apply/who", {"role": "representative"})
    assert "How has the behaviour affected them?" in other.get("/apply/impact").text
    empty = other.post("/apply/impact", {"text": ""}, status=422).text
    assert "Enter how the behaviour has affected them" in empty
    assert "affected you" not in empty


def test_the_public_pages_word_the_one_month_rule_as_the_law_does(client: Any) -> None:
    start = client.get("/").text
    assert "within 1 month" not in start
    assert "counting the day it happened: for something on 15 January, by 14 February" in start
