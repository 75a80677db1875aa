"""The Community Trigger case page lists the JAG cases linked to it: each one the reader may
open, where it is, and the actions carrying out the case review's recommendations, with
their progress; a JAG case the reader may not open is not shown at all."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import User
from engine.queries import staff_case_page
from engine.services.staff import grant_role
from tests.integration.test_access_matrix import signed_in_client
from tests.integration.test_jag_journeys import _ct_case_with_recommendations
from tests.jag_helpers import PLACE, JagJourney, reload_actor

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

APPEAL = {"ground": "facts_not_considered", "details": "The housing notes were missed."}
PATROLS = {
    "action": "Dispersal patrols on Friday nights",
    "owner": "Sgt Khan",
    "agency": "Police",
    "recommendation": 1,
}


def _page_view(j: JagJourney, ct: str, who: str) -> dict[str, Any]:
    with j.sessions() as s:
        return staff_case_page(s, reference=ct, actor=j.staff[who].actor, clock=j.clock)


def _linked(j: JagJourney, ct: str, who: str) -> list[dict[str, Any]]:
    return _page_view(j, ct, who)["linked_jag_cases"]


def _also_in_melton(j: JagJourney, key: str) -> None:
    """Give a Leicester member of staff the same role in Melton (they may refer there)."""
    with j.sessions() as s:
        user = s.exec(select(User).where(User.email == j.staff[key].email)).one()
        grant_role(s, user=user, role=key, locality="melton")
        s.commit()
        j.staff[key] = replace(j.staff[key], actor=reload_actor(s, j.staff[key].email))


@pytest.fixture
def j(session_factory: SessionFactory, clock: FixedClock) -> JagJourney:
    return JagJourney(session_factory, clock)


def test_the_case_review_lists_its_jag_cases_and_their_actions_as_they_progress(
    j: JagJourney,
) -> None:
    ct = _ct_case_with_recommendations(j)
    assert _linked(j, ct, "contact") == []  # nothing linked yet
    jag = j.refer(
        "contact", subject_kind="place", subject=PLACE, linked_ct=ct, recommendation_seq=1
    )
    j.fire("accept", "jag_chair", {})
    assert _linked(j, ct, "contact") == [
        {
            "reference": jag,
            "state": "active",
            "state_label": "Active",
            "locality": "leicester",
            "recommendation": 1,
            "actions": [],
        }
    ]

    # Action 1 is the JAG's own; action 2 carries out recommendation 1 of the case review.
    j.fire(
        "add_action",
        "jag_chair",
        {"action": "Visit", "owner": "PC Hall", "agency": "Police", "due_on": j.today(7)},
    )
    j.fire("add_action", "jag_chair", {**PATROLS, "due_on": j.today(14)})
    view = _page_view(j, ct, "contact")
    [linked] = view["linked_jag_cases"]
    assert linked["actions"] == [
        {
            "recommendation": 1,
            "action": 2,
            "text": "Dispersal patrols on Friday nights",
            "status": "open",
            "due_on": j.today(14),
            "completed_on": None,
        }
    ]
    assert list(view["carried_out_by"]) == [1]
    assert view["carried_out_by"][1][0]["reference"] == jag
    assert view["carried_out_by"][1][0]["action"] == 2

    j.fire("update_action", "jag_chair", {"action": 2, "status": "in_progress", "note": "Began."})
    assert _linked(j, ct, "jag_chair")[0]["actions"][0]["status"] == "in_progress"

    j.clock.advance(days=10)
    j.fire("update_action", "jag_chair", {"action": 2, "status": "done", "note": "No incidents."})
    view = _page_view(j, ct, "jag_chair")
    done = view["linked_jag_cases"][0]["actions"][0]
    assert (done["status"], done["completed_on"]) == ("done", j.today())
    assert view["carried_out_by"][1][0]["status"] == "done"
    assert view["recommendations"][0]["status"] == "done"
    assert 2 not in view["carried_out_by"]  # recommendation 2 has no action


def test_only_the_jag_cases_the_reader_may_open_are_listed(j: JagJourney) -> None:
    ct = _ct_case_with_recommendations(j)
    leicester = j.refer("contact", linked_ct=ct, recommendation_seq=1)
    j.fire("accept", "jag_chair", {})
    j.fire("add_action", "jag_chair", {**PATROLS, "due_on": j.today(14)})
    # The point of contact works Melton too: they refer a Melton JAG case from the review.
    _also_in_melton(j, "contact")
    melton = j.refer("contact", locality_id="melton", linked_ct=ct, recommendation_seq=2)

    def listed(who: str) -> list[str]:
        return [c["reference"] for c in _linked(j, ct, who)]

    assert listed("contact") == [leicester, melton]
    assert listed("manager") == [leicester, melton]
    # Leicester's JAG chair opens the case review but not Melton's JAG case.
    assert listed("jag_chair") == [leicester]
    assert list(_page_view(j, ct, "jag_chair")["carried_out_by"]) == [1]

    # The independent appeal chair opens the case review while the appeal is with them,
    # and no JAG case: not even Melton's, their own locality's.
    j.fire("appeal_lodged", "contact", APPEAL, ref=ct)
    j.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"}, ref=ct)
    view = _page_view(j, ct, "appeal_chair")
    assert view["reference"] == ct
    assert (view["linked_jag_cases"], view["carried_out_by"]) == ([], {})
    assert listed("contact") == [leicester, melton]


def test_the_case_page_shows_the_linked_jag_cases_to_those_who_may_open_them(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = JagJourney(session_factory, clock)
    ct = _ct_case_with_recommendations(j)
    jag = j.refer(
        "contact", subject_kind="place", subject=PLACE, linked_ct=ct, recommendation_seq=1
    )
    j.fire("accept", "jag_chair", {})
    j.fire("add_action", "jag_chair", {**PATROLS, "due_on": "2026-03-16"})
    _also_in_melton(j, "contact")
    melton = j.refer("contact", locality_id="melton", linked_ct=ct, recommendation_seq=2)
    session.rollback()

    def page(who: str) -> str:
        got = signed_in_client(app, session, clock, who).get(f"/staff/cases/{ct}")
        assert got.status_code == 200, (who, got.status_code)
        return got.text

    link = f'<a class="govuk-link" href="/staff/cases/{jag}">{jag}</a>'
    text = page("contact@example.org")
    assert "Linked JAG cases" in text
    assert link in text and f'href="/staff/cases/{melton}"' in text
    assert "Recommendation 1: carried out by action 1 (not started, due 16 March 2026)" in text
    assert "Referred to carry out recommendation 2. No action has been added for it yet." in text
    assert "Referred, waiting for the JAG chair to accept or decline" in text  # Melton's
    assert f"Carried out by action 1 of JAG case {link} (not started, due 16 March 2026)" in text

    text = page("jag@example.org")
    assert link in text and melton not in text

    clock.advance(days=5)
    done = {"action": 1, "status": "done", "note": "No incidents."}
    j.fire("update_action", "jag_chair", done, ref=jag)
    session.rollback()
    text = page("jag@example.org")
    done = "(done on 7 March 2026, due 16 March 2026)"
    assert f"Recommendation 1: carried out by action 1 {done}" in text
    assert f"Carried out by action 1 of JAG case {link} {done}" in text

    # The appeal chair reads the case review without any JAG case on it.
    j.fire("appeal_lodged", "contact", APPEAL, ref=ct)
    j.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"}, ref=ct)
    session.rollback()
    text = page("appeal@example.org")
    assert f"Case {ct}" in text
    assert "Linked JAG cases" not in text and "Carried out by action" not in text
    assert f'href="/staff/cases/{jag}"' not in text and melton not in text
