"""My work in pages of 50, most urgent first (issue 15): the whole queue across the pages,
each line once, and a page past the end shows the last page."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from engine import worklists
from engine.clock import FixedClock
from tests.factories import make_case, make_staff
from tests.integration.test_staff_cases import signed_in

CASE_LINK = re.compile(r'href="/staff/cases/(CT-\d{4}-\d{6})"')


def test_a_long_queue_is_paged_at_fifty_and_every_line_is_on_one_page(
    app: Any, session: Session, clock: FixedClock
) -> None:
    staff = make_staff(session, clock)
    refs = []
    for _ in range(worklists.PAGE_SIZE + 7):
        refs.append(make_case(session, clock, incidents=3).reference)
        clock.advance(days=1)  # each acknowledgement falls due on a later day
    me = signed_in(app, session, clock, staff, "contact")

    first, second = me.get("/staff"), me.get("/staff?page=2")
    assert first.status_code == second.status_code == 200
    on_first, on_second = CASE_LINK.findall(first.text), CASE_LINK.findall(second.text)
    assert len(on_first) == worklists.PAGE_SIZE and len(on_second) == 7
    # Most urgent (oldest acknowledgement due) first, running on across the pages.
    assert on_first + on_second == refs
    assert f"Showing 1 to 50 of {len(refs)}" in first.text
    assert f"Showing 51 to {len(refs)} of {len(refs)}" in second.text
    assert 'href="/staff?page=2"' in first.text and 'rel="next"' in first.text
    assert 'href="/staff?page=1"' in second.text and 'rel="prev"' in second.text

    past_the_end = me.get("/staff?page=9")
    assert CASE_LINK.findall(past_the_end.text) == on_second
    me.get("/staff?page=0", status=404)  # as the other staff pages answer a bad page number

    whole = worklists.my_work(session, actor=staff["contact"].actor, today=clock.today())
    assert [line["reference"] for line in whole] == refs


def test_a_short_queue_has_one_page_and_no_pagination(
    app: Any, session: Session, clock: FixedClock
) -> None:
    staff = make_staff(session, clock)
    ref = make_case(session, clock, incidents=3).reference
    page = signed_in(app, session, clock, staff, "contact").get("/staff")
    assert CASE_LINK.findall(page.text) == [ref]
    assert "govuk-pagination" not in page.text and "Showing" not in page.text
