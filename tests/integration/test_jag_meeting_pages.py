"""The JAG meetings' staff pages: arrange, agenda builder, send papers, pack (HTML and PDF),
minutes item by item with a new action, approval; bad input shows the GOV.UK error summary
and stores nothing; role and locality are checked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.models import Deadline
from tests.http_checks import never_a_server_error
from tests.integration.test_access_matrix import CSRF, signed_in_client
from tests.meeting_helpers import MeetingJourney
from workflows.jag_case.meeting_models import (
    JagAgendaItem,
    JagDomesticAbuse,
    JagMeeting,
    JagMinute,
)
from workflows.jag_case.models import JagAction

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
BASE = "/staff/jag/meetings"


def _token(client: Any, path: str) -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def _meeting_form(**over: str) -> dict[str, Any]:
    form = {
        "locality": "leicester",
        "held_on-day": "10",
        "held_on-month": "3",
        "held_on-year": "2026",
        "starts_at": "10:00",
        "length_minutes": "120",
        "place": "City Hall",
        "call_link": "",
        "invited": ["Police", "Council", "Health"],
    }
    form.update(over)
    return form


def test_a_chair_arranges_builds_sends_and_minutes(
    app: Any, session: Session, session_factory: Any, clock: FixedClock
) -> None:
    j = MeetingJourney(session_factory, clock)
    refs = j.one_of_each(clock.today().replace(day=10))
    session.rollback()
    chair = signed_in_client(app, session, clock, "jag@example.org")
    never_a_server_error(chair)
    listing = chair.get(BASE)
    assert listing.status_code == 200
    assert "The second Tuesday of each month, 10:00, 2 hours" in listing.text
    new = chair.get(f"{BASE}/new?locality=leicester")
    assert 'value="City Hall, Charles Street, Leicester"' in new.text
    token = _token(chair, f"{BASE}/new?locality=leicester")
    bad = chair.post(f"{BASE}/new", data=_meeting_form(csrf_token=token, starts_at="9am"))
    assert bad.status_code == 422
    assert "There is no problem" not in bad.text and "There is a problem" in bad.text
    assert 'href="#starts_at"' in bad.text
    with session_factory() as s:
        assert s.exec(select(JagMeeting)).all() == []
    made = chair.post(f"{BASE}/new", data=_meeting_form(csrf_token=token), follow_redirects=False)
    assert made.status_code == 303, made.text
    page_url = made.headers["location"].split("?")[0]
    page = chair.get(made.headers["location"])
    assert "Meeting arranged" in page.text
    for ref in refs.values():
        assert ref in page.text
    assert "Top 3 repeat domestic-abuse victims" in page.text
    mid = int(page_url.rsplit("/", 1)[1])
    with session_factory() as s:
        rows = s.exec(
            select(JagAgendaItem)
            .where(JagAgendaItem.meeting_id == mid)
            .order_by(JagAgendaItem.position)
        ).all()
    first, second = rows[0].id, rows[1].id
    token = _token(chair, page_url)
    moved = chair.post(
        f"{page_url}/agenda",
        data={"csrf_token": token, "op": "down", "item": str(first)},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    bad_slot = chair.post(
        f"{page_url}/agenda",
        data={"csrf_token": token, "op": "slot", "item": str(first), f"slot-{first}": "x"},
    )
    assert bad_slot.status_code == 422 and f'href="#slot-{first}"' in bad_slot.text
    chair.post(
        f"{page_url}/agenda",
        data={"csrf_token": token, "op": "add", "title": "Summer", "minutes": "15"},
    )
    with session_factory() as s:
        order = [
            r.id
            for r in s.exec(
                select(JagAgendaItem)
                .where(JagAgendaItem.meeting_id == mid)
                .order_by(JagAgendaItem.position)
            ).all()
        ]
    assert order[:2] == [second, first]
    sent = chair.post(f"{page_url}/papers", data={"csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 303
    assert "Papers sent" in chair.get(sent.headers["location"]).text
    pack_page = chair.get(f"{page_url}/pack")
    assert pack_page.status_code == 200 and "Action plan" in pack_page.text
    pdf = chair.get(f"{page_url}/pack.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The minutes: one item (the high-risk case, now first) with a new action.
    minutes_url = f"{page_url}/minutes"
    token = _token(chair, minutes_url)
    p = f"action-{second}-"
    missing = chair.post(
        f"{minutes_url}/items/{second}",
        data={
            "csrf_token": token,
            f"decision-{second}": "Agreed",
            f"{p}action": "Patrol",
            f"{p}owner": "",
            f"{p}agency": "Police",
            f"{p}due_on-day": "24",
            f"{p}due_on-month": "3",
            f"{p}due_on-year": "2026",
        },
    )
    assert missing.status_code == 422 and f'href="#{p}owner"' in missing.text
    done = chair.post(
        f"{minutes_url}/items/{second}",
        data={
            "csrf_token": token,
            f"decision-{second}": "Agreed",
            f"cessation-{second}": "none",
            f"{p}action": "Patrol the close",
            f"{p}owner": "PC Smith",
            f"{p}agency": "Police",
            f"{p}due_on-day": "24",
            f"{p}due_on-month": "3",
            f"{p}due_on-year": "2026",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    with session_factory() as s:
        assert len(s.exec(select(JagMinute)).all()) == 1
        action = s.exec(select(JagAction).where(JagAction.action == "Patrol the close")).one()
        assert (
            s.exec(
                select(Deadline).where(
                    Deadline.case_id == action.case_id, Deadline.subject == f"action:{action.seq}"
                )
            )
            .one()
            .status
            == "open"
        )
    assert "Patrol the close" in chair.get(minutes_url).text


def test_partners_read_the_pack_but_cannot_chair_and_other_localities_cannot_read(
    app: Any, session: Session, session_factory: Any, clock: FixedClock
) -> None:
    j = MeetingJourney(session_factory, clock)
    mid = j.meeting(clock.today().replace(day=10))
    from workflows.jag_case import pack

    with session_factory() as s:
        pack.send_papers(s, clock=clock, actor=j.staff["jag_chair"].actor, meeting_id=mid)
    session.rollback()
    partner = signed_in_client(app, session, clock, "partner@example.org")
    assert partner.get(f"{BASE}/{mid}/pack").status_code == 200
    assert partner.get(f"{BASE}/{mid}/pack.pdf").status_code == 200
    assert partner.get(f"{BASE}/new?locality=leicester").status_code == 403
    token = _token(partner, f"{BASE}/{mid}")
    refused = partner.post(f"{BASE}/{mid}/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    melton = signed_in_client(app, session, clock, "melton.jag@example.org")
    assert melton.get(f"{BASE}/{mid}").status_code == 403
    assert melton.get(f"{BASE}/{mid}/pack.pdf").status_code == 403
    no_csrf = partner.post(f"{BASE}/{mid}/papers", data={})
    assert no_csrf.status_code in (400, 403)
    assert re.search("Victim 1|No repeat", partner.get(f"{BASE}/{mid}").text)


def test_a_repeat_domestic_abuse_victim_is_recorded_from_the_meetings_page(
    app: Any, session: Session, session_factory: Any, clock: FixedClock
) -> None:
    j = MeetingJourney(session_factory, clock)
    ref = j.victim("Vera Victim")
    session.rollback()
    contact = signed_in_client(app, session, clock, "contact@example.org")
    token = _token(contact, BASE)
    form = {"csrf_token": token, "locality": "leicester", "case_ref": ref, "repeat_count": "x"}
    bad = contact.post(f"{BASE}/repeat-victims", data=form)
    assert bad.status_code == 422 and 'href="#repeat_count"' in bad.text
    unknown = contact.post(f"{BASE}/repeat-victims", data={**form, "case_ref": "JAG-2026-999999"})
    assert unknown.status_code == 422 and 'href="#case_ref"' in unknown.text
    with session_factory() as s:
        assert s.exec(select(JagDomesticAbuse)).all() == []
    ok = contact.post(
        f"{BASE}/repeat-victims", data={**form, "repeat_count": "6"}, follow_redirects=False
    )
    assert ok.status_code == 303
    with session_factory() as s:
        assert s.exec(select(JagDomesticAbuse.repeat_count)).one() == 6
    mid = j.meeting(clock.today().replace(day=10))
    assert "Vera Victim</a>: 6 repeat incidents" in contact.get(f"{BASE}/{mid}").text
    partner = signed_in_client(app, session, clock, "partner@example.org")
    shown = partner.get(f"{BASE}/{mid}").text
    # Her case is on the agenda as a new referral (partners work it); the standing item
    # does not say she is a repeat domestic-abuse victim.
    assert "Victim 1: 6 repeat incidents" in shown
    assert "Vera Victim</a>: 6 repeat" not in shown
