"""Texts only where the applicant said texts are safe: the public form and staff intake ask."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, select

from engine import case_detail
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case
from tests.factories import make_staff
from tests.integration.test_public_flow import Visitor, fill_in_everything
from tests.integration.test_staff_intake import application_form, signed_in

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


def _answer_phone(visitor: Visitor, texts: str | None) -> None:
    visitor.next("/apply/contact", {"preference": "phone"})
    page = visitor.get("/apply/contact-details")
    assert "Is it safe for us to send you text messages?" in page.text
    data = {"phone": "07700 900 982"}
    if texts is not None:
        data["texts_safe"] = texts
    visitor.next("/apply/contact-details", data)


@pytest.mark.parametrize(("answer", "stored"), [("yes", True), ("no", False), (None, False)])
def test_the_public_form_asks_whether_texts_are_safe(
    client: Any,
    session_factory: SessionFactory,
    clock: FixedClock,
    answer: str | None,
    stored: bool,
) -> None:
    visitor = Visitor(client)
    fill_in_everything(visitor, clock.today())
    _answer_phone(visitor, answer)
    check = visitor.get("/apply/check").text
    assert ("texts are safe" in check) is stored
    visitor.post("/apply/check", {"declaration": "yes"})
    with session_factory() as s:
        case = case_detail.with_detail(s, s.exec(select(Case)).one())
    assert (case.contact_preference, case.texts_safe) == ("phone", stored)
    assert case.status_code and re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}", case.status_code)


@pytest.mark.parametrize(("answer", "stored"), [("yes", True), ("", False)])
def test_staff_intake_asks_whether_texts_are_safe_and_shows_the_code_once(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    answer: str,
    stored: bool,
) -> None:
    staff = make_staff(session, clock)
    session.rollback()
    contact = signed_in(app, session, clock, staff, "contact")
    form = contact.get("/staff/applications/new").text
    assert "Is it safe to send them text messages?" in form
    done = contact.post("/staff/applications/new", application_form(texts_safe=answer))
    shown = contact.get(done.headers["location"]).text
    with session_factory() as s:
        case = case_detail.with_detail(s, s.exec(select(Case)).one())
    assert case.texts_safe is stored
    assert f'<strong id="status-code">{case.status_code}</strong>' in shown
