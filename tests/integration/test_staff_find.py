"""/staff/cases: search, filters, paging, sorting, the CSV, bad input, and the index-backed
search (the words of a case's people kept at intake and by the migration)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlmodel import Session, select

from engine import case_search
from engine.clock import FixedClock
from engine.models import CaseSearchTerm
from engine.services.cases import record_event
from tests.factories import load_case, make_case, make_staff
from tests.integration.test_staff_login import Staff, browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
ROW = re.compile(r'href="/staff/cases/(CT-\d{4}-\d{6})"')


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    return make_staff(session, clock)


def signed_in(app: Any, session: Session, clock: FixedClock, email: str) -> Staff:
    me = browser_for(app, session, clock, email)
    me.sign_in()
    return me


def listed(page: str) -> list[str]:
    return ROW.findall(page)


def person(name: str, postcode: str, address: str, email: str) -> dict[str, Any]:
    return {
        "applicant": {
            "name": name,
            "email": email,
            "role": "victim",
            "postcode": postcode,
            "address": address,
        }
    }


def test_the_words_of_a_case_are_kept_at_intake(session: Session, clock: FixedClock) -> None:
    ref = make_case(
        session,
        clock,
        **person("Sam O'Brien-Smith", "LE1 5AB", "12 Oak Road, Leicester", "s@x.org"),
    ).reference
    case = load_case(session, ref)
    terms = set(session.exec(select(CaseSearchTerm.term).where(CaseSearchTerm.case_id == case.id)))
    assert {"sam", "o", "brien", "smith", "le1", "5ab", "le15ab", "12", "oak", "road"} <= terms
    assert "leicester" in terms and not any(t != t.lower() for t in terms)


def test_search_by_reference_name_postcode_and_address(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    ava = make_case(
        session, clock, **person("Ava Patel", "LE2 7QQ", "3 Elm Close", "ava@example.org")
    ).reference
    bob = make_case(
        session, clock, **person("Bob Patterson", "LE4 1ZZ", "9 Mill Lane", "bob@example.org")
    ).reference
    cy = make_case(
        session, clock, **person("Cy Jones", "LE2 7QQ", "5 Elm Close", "cy@example.org")
    ).reference
    me = signed_in(app, session, clock, staff["contact"].email)
    assert set(listed(me.get("/staff/cases").text)) == {ava, bob, cy}
    assert listed(me.get(f"/staff/cases?q={ava}").text) == [ava]
    assert set(listed(me.get("/staff/cases?q=ct-2026-00000").text)) == {ava, bob, cy}
    number = str(int(bob[-6:]))  # "2": the number on its own
    assert listed(me.get(f"/staff/cases?q={number}").text) == [bob]
    assert set(listed(me.get("/staff/cases?q=pat").text)) == {ava, bob}  # start of a word
    assert listed(me.get("/staff/cases?q=PATTERSON").text) == [bob]
    assert listed(me.get("/staff/cases?q=ava+pat").text) == [ava]  # every word must match
    assert set(listed(me.get("/staff/cases?q=LE2+7QQ").text)) == {ava, cy}
    assert set(listed(me.get("/staff/cases?q=le27qq").text)) == {ava, cy}
    assert listed(me.get("/staff/cases?q=mill+lane").text) == [bob]
    page = me.get("/staff/cases?q=nobody").text
    assert listed(page) == [] and "No cases match" in page


def test_the_list_shows_only_cases_the_user_may_open(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    leicester = make_case(session, clock, locality="leicester").reference
    melton = make_case(session, clock, locality="melton").reference
    jag = signed_in(app, session, clock, staff["melton_jag_chair"].email)
    assert listed(jag.get("/staff/cases").text) == [melton]
    assert listed(jag.get(f"/staff/cases?q={leicester}").text) == []
    # A locality not theirs is refused with a message, not quietly widened.
    refused = jag.get("/staff/cases?locality=leicester", status=400).text
    assert "There is a problem" in refused and leicester not in refused
    manager = signed_in(app, session, clock, staff["manager"].email)
    assert set(listed(manager.get("/staff/cases").text)) == {leicester, melton}
    chair = signed_in(app, session, clock, staff["appeal_chair"].email)
    assert listed(chair.get("/staff/cases").text) == []


def test_filters_by_locality_state_overdue_and_received_date(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    late = make_case(session, clock).reference  # received Mon 2 Mar 2026
    melton = make_case(session, clock, locality="melton").reference
    clock.advance(days=7)  # their acknowledgement (1 working day) is now overdue
    old = make_case(session, clock).reference  # received Mon 9 Mar, acknowledged at once
    record_event(
        session,
        clock=clock,
        case_ref=old,
        event="acknowledge",
        data=None,
        actor=staff["contact"].actor,
        expected_version=1,
    )
    me = signed_in(app, session, clock, staff["manager"].email)
    assert set(listed(me.get("/staff/cases?locality=leicester").text)) == {old, late}
    both = "/staff/cases?locality=leicester&locality=melton"
    assert set(listed(me.get(both).text)) == {old, late, melton}
    assert listed(me.get("/staff/cases?state=acknowledged").text) == [old]
    assert set(listed(me.get("/staff/cases?overdue=yes").text)) == {late, melton}
    page = me.get("/staff/cases?overdue=yes&locality=leicester").text
    assert listed(page) == [late] and "Overdue</strong>" in page
    since = "/staff/cases?from-day=9&from-month=3&from-year=2026"
    assert listed(me.get(since).text) == [old]
    until = "/staff/cases?to-day=8&to-month=3&to-year=2026"
    assert set(listed(me.get(until).text)) == {late, melton}
    # The chosen filters are shown as tags that each remove one.
    page = me.get("/staff/cases?state=acknowledged&locality=leicester").text
    assert 'href="/staff/cases?locality=leicester"' in page
    assert 'href="/staff/cases?state=acknowledged"' in page


def test_sorted_and_paged_fifty_at_a_time(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    refs = []
    for _ in range(53):
        refs.append(make_case(session, clock).reference)
        clock.advance(minutes=1)
    me = signed_in(app, session, clock, staff["contact"].email)
    first = me.get("/staff/cases").text
    assert listed(first) == list(reversed(refs))[:50]  # newest first
    assert "53 cases" in first and "Showing 1 to 50" in first
    assert 'class="govuk-pagination' in first and 'href="/staff/cases?page=2"' in first
    second = me.get("/staff/cases?page=2").text
    assert listed(second) == list(reversed(refs))[50:]
    assert "Showing 51 to 53" in second
    by_ref = me.get("/staff/cases?sort=reference&page=2").text
    assert listed(by_ref) == refs[50:]
    assert 'href="/staff/cases?sort=reference&amp;page=1"' in by_ref  # the sort is kept
    beyond = me.get("/staff/cases?page=9").text
    assert listed(beyond) == [] and "There are no cases on page 9" in beyond


def test_sorted_by_state_and_by_next_deadline(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    first = make_case(session, clock).reference
    clock.advance(days=1)
    second = make_case(session, clock).reference
    record_event(
        session,
        clock=clock,
        case_ref=second,
        event="acknowledge",
        data=None,
        actor=staff["contact"].actor,
        expected_version=1,
    )
    me = signed_in(app, session, clock, staff["contact"].email)
    assert listed(me.get("/staff/cases?sort=state").text) == [second, first]  # a before s
    # The first case's acknowledgement falls due before anything the second one waits for.
    assert listed(me.get("/staff/cases?sort=deadline").text) == [first, second]


def test_the_csv_is_what_the_filters_show_and_safe_in_a_spreadsheet(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    evil = make_case(
        session, clock, **person('=HYPERLINK("http://x")', "LE1 1AA", "1 A St", "e@x.org")
    ).reference
    plain = make_case(session, clock, locality="melton").reference
    me = signed_in(app, session, clock, staff["manager"].email)
    page = me.get("/staff/cases?locality=leicester").text
    assert 'href="/staff/cases.csv?locality=leicester"' in page
    got = me.get("/staff/cases.csv?locality=leicester")
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0][:3] == ["Case", "Applicant", "Postcode"]
    assert [r[0] for r in rows[1:]] == [evil]
    assert rows[1][1] == '\'=HYPERLINK("http://x")'  # quoted: never run as a formula
    everything = list(csv.reader(io.StringIO(me.get("/staff/cases.csv").text)))
    assert {r[0] for r in everything[1:]} == {evil, plain}
    jag = signed_in(app, session, clock, staff["melton_jag_chair"].email)
    theirs = list(csv.reader(io.StringIO(jag.get("/staff/cases.csv").text)))
    assert [r[0] for r in theirs[1:]] == [plain]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("state=nonsense", "There is no state"),
        ("sort=cost", "Choose how to sort"),
        ("page=0", "The page number must be"),
        ("page=abc", "The page number must be"),
        ("from-day=31&from-month=2&from-year=2026", "must be a real date"),
        ("from-day=3&from-month=3", "must include a year"),
        (
            "from-day=9&from-month=3&from-year=2026&to-day=2&to-month=3&to-year=2026",
            "Received to must be",
        ),
        ("q=" + "x" * 150, "100 characters or fewer"),
        ("locality=atlantis", "There is no locality"),
    ],
)
def test_bad_filters_get_a_govuk_error_summary(
    app: Any, session: Session, clock: FixedClock, staff: dict, query: str, message: str
) -> None:
    make_case(session, clock)
    me = signed_in(app, session, clock, staff["manager"].email)
    page = me.get(f"/staff/cases?{query}", status=400).text
    assert "govuk-error-summary" in page and message in page
    assert listed(page) == []
    me.get(f"/staff/cases.csv?{query}", status=422)


def test_a_stranger_is_sent_to_sign_in(client: Any) -> None:
    for path in ("/staff/cases", "/staff/cases.csv"):
        got = client.get(path, follow_redirects=False)
        assert got.status_code == 303 and got.headers["location"] == "/staff/login"


def test_the_navigation_links_the_case_list(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = signed_in(app, session, clock, staff["csp_chair"].email)
    page = me.get("/staff").text
    assert 'href="/staff/cases"' in page
    assert 'aria-current="page"' in me.get("/staff/cases").text.split('href="/staff/cases"')[1][:30]


def test_the_engine_search_matches_the_page(
    session: Session, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(
        session, clock, **person("Dee Lane", "LE3 3CC", "7 Ash Row", "d@x.org")
    ).reference
    found = case_search.find_cases(
        session,
        actor=staff["contact"].actor,
        wanted=case_search.CaseFilter(q="dee"),
        today=clock.today(),
    )
    assert [r["reference"] for r in found.rows] == [ref] and found.total == 1
    assert found.rows[0]["applicant"] == "Dee Lane" and found.rows[0]["postcode"] == "LE3 3CC"


def test_the_api_twin_searches_with_the_same_rules(
    client: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(
        session, clock, **person("Eve Stone", "LE5 1AA", "2 Low St", "e@x.org")
    ).reference
    melton = make_case(session, clock, locality="melton").reference
    contact = {"Authorization": f"Bearer {staff['contact'].token}"}
    got = client.get("/api/v1/cases?q=stone", headers=contact)
    assert got.status_code == 200
    body = got.json()
    assert [c["reference"] for c in body["cases"]] == [ref]
    assert body["total"] == 1 and body["page"] == 1 and body["page_size"] == 50
    assert body["cases"][0]["applicant"] == "Eve Stone"
    everything = client.get("/api/v1/cases", headers=contact).json()
    assert [c["reference"] for c in everything["cases"]] == [ref]  # not Melton's case
    manager = {"Authorization": f"Bearer {staff['manager'].token}"}
    both = client.get("/api/v1/cases?sort=reference", headers=manager).json()
    assert [c["reference"] for c in both["cases"]] == [ref, melton]
    for bad, field in (
        ("state=nope", "state"),
        ("received_from=2026-02-30", "received_from"),
        ("page=0", "page"),
        ("sort=price", "sort"),
        ("locality=melton", "locality"),
    ):
        refused = client.get(f"/api/v1/cases?{bad}", headers=contact)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert field in refused.text, bad
    assert client.get("/api/v1/cases").status_code == 401


def test_past_the_count_cap_the_list_says_more_than_and_the_csv_has_them_all(
    app: Any, session: Session, clock: FixedClock, staff: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_search, "COUNT_LIMIT", 3)
    monkeypatch.setattr(case_search, "PAGE_SIZE", 2)
    refs = [make_case(session, clock).reference for _ in range(5)]
    me = signed_in(app, session, clock, staff["contact"].email)
    page = me.get("/staff/cases?sort=reference").text
    assert "More than 3 cases" in page and "Only the first 3 are listed" in page
    assert listed(page) == refs[:2]
    assert listed(me.get("/staff/cases?sort=reference&page=2").text) == refs[2:3]
    rows = list(csv.reader(io.StringIO(me.get("/staff/cases.csv?sort=reference").text)))
    assert [r[0] for r in rows[1:]] == refs
