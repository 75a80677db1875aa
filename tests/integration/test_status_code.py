"""The reference and code: the way back to the status page without the private link, and
how the named contact checks a caller on the phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from engine.clock import FixedClock
from engine.db import SessionFactory
from tests.factories import load_case
from tests.integration.test_community_trigger_journey import Journey
from tests.integration.test_public_flow import Visitor
from tests.integration.test_staff_login import browser_for
from workflows.community_trigger.services.intake import normal_code

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


def _code(session_factory: SessionFactory, ref: str) -> str:
    with session_factory() as s:
        code = load_case(s, ref).status_code
    assert code is not None
    return code


def test_the_code_is_read_as_typed_or_spoken() -> None:
    assert normal_code("kq7 m4p") == normal_code("KQ7M4P") == normal_code(" KQ7-M4P ") == "KQ7-M4P"


def test_the_reference_and_code_open_the_status_page_with_the_contact_and_how_to_appeal(
    client: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock, incidents=1)
    j.fire("acknowledge", "contact")
    j.fire("threshold_not_met", "jag_chair", {"reasons": "One incident was reported."})
    code = _code(session_factory, j.ref)
    visitor = Visitor(client)
    form = visitor.get("/status")
    assert "See how your case is going" in form.text and 'name="code"' in form.text

    typed = code.lower().replace("-", " ")
    page = visitor.post("/status", {"reference": j.ref.lower(), "code": typed}, status=200)
    assert page.headers["cache-control"] == "no-store"
    assert "noindex" in page.headers["x-robots-tag"]
    text = page.text
    assert f"Reference {j.ref}" in text
    assert "The threshold for a case review is not met" in text
    assert "How to appeal" in text and "relevant facts were not considered" in text
    assert "Give them your reference" in text and "0116 454 1000" in text
    assert "contact@example.org" not in text  # never a staff name or address on this page
    assert "City Hall, 115 Charles Street, Leicester LE1 1FZ" in text


def test_a_wrong_or_missing_reference_or_code_is_told_plainly_and_shows_nothing(
    client: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    code = _code(session_factory, j.ref)
    wrong = "AAA-AAA" if code != "AAA-AAA" else "BBB-BBB"
    visitor = Visitor(client)
    visitor.get("/status")
    missing = visitor.post("/status", {"reference": "", "code": ""}, status=422)
    assert "There is a problem" in missing.text
    assert 'href="#reference"' in missing.text and 'href="#code"' in missing.text
    for reference, typed in ((j.ref, wrong), ("CT-2026-999999", code), (j.ref, "x" * 5000)):
        refused = visitor.post("/status", {"reference": reference, "code": typed}, status=404)
        assert "We could not find a case with that reference and code" in refused.text
        assert "0116 454 1000" not in refused.text
    no_token = client.post("/status", data={"reference": j.ref, "code": code})
    assert no_token.status_code == 403 and j.ref not in no_token.text


def test_too_many_tries_are_refused_for_a_while(
    client: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    visitor = Visitor(client)
    visitor.get("/status")
    for _ in range(20):
        visitor.post("/status", {"reference": j.ref, "code": "AAA-AAA"}, status=404)
    visitor.post("/status", {"reference": j.ref, "code": _code(session_factory, j.ref)}, status=429)


def test_the_named_contact_checks_a_callers_reference_and_code(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    code = _code(session_factory, j.ref)
    contact = browser_for(app, session, clock, "contact@example.org")
    contact.sign_in()
    assert 'href="/staff/caller"' in contact.get("/staff").text  # in the service navigation
    assert "Check a caller" in contact.get("/staff/caller").text
    ok = contact.post("/staff/caller", {"reference": j.ref, "code": code.lower()}, status=200)
    assert f"The code matches case {j.ref}." in ok.text
    assert f'href="/staff/cases/{j.ref}"' in ok.text
    bad = contact.post("/staff/caller", {"reference": j.ref, "code": "ZZZ-ZZZ"}, status=422)
    assert "The code does not match this case" in bad.text and "There is a problem" in bad.text
    empty = contact.post("/staff/caller", {"reference": "", "code": ""}, status=422)
    assert 'href="#reference"' in empty.text and 'href="#code"' in empty.text
    # Staff of another locality cannot use it to learn about a case they may not open.
    melton = browser_for(app, session, clock, "melton.jag@example.org")
    melton.sign_in()
    refused = melton.post("/staff/caller", {"reference": j.ref, "code": code}, status=403)
    assert "The code matches" not in refused.text
    melton.post("/staff/caller", {"reference": "CT-2026-999999", "code": code}, status=404)


def test_a_final_decision_on_the_status_page_signposts_the_ombudsman_and_the_pcc(
    client: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    from tests.unit.test_documents import to_appeal_papers

    j = Journey(session_factory, clock)
    to_appeal_papers(j, clock)
    visitor = Visitor(client)
    visitor.get("/status")
    code = _code(session_factory, j.ref)
    before = visitor.post("/status", {"reference": j.ref, "code": code}, status=200).text
    assert "If you are still not happy" not in before
    j.fire("appeal_not_upheld", "appeal_chair", {"reasons": "All the facts were looked at."})
    after = visitor.post("/status", {"reference": j.ref, "code": code}, status=200).text
    assert "If you are still not happy" in after
    assert "Local Government and Social Care Ombudsman" in after
    assert "Police and Crime Commissioner" in after
