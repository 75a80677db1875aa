"""Feedback, browsing safely, the accessibility statements, staff footer and page titles,
compression and cache headers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.models import Feedback
from tests.factories import make_staff
from tests.integration.test_public_flow import Visitor
from tests.integration.test_staff_login import browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def visitor(client: Any) -> Visitor:
    return Visitor(client)


def test_the_phase_banner_links_to_feedback_which_is_stored_without_the_person(
    visitor: Visitor, session: Session
) -> None:
    assert 'href="/feedback"' in visitor.get("/").text
    page = visitor.get("/feedback").text  # a first visit: the form gets its token
    assert "What did you think of this service?" in page
    assert re.search(r'name="csrf_token" value="[0-9a-f]{64}"', page)
    sent = visitor.post("/feedback", {"rating": "satisfied", "comments": "  Clear questions. "})
    assert sent.headers["location"] == "/feedback/sent"
    assert "Thank you for your feedback" in visitor.get("/feedback/sent").text
    stored = session.exec(select(Feedback)).one()
    assert (stored.rating, stored.comments) == ("satisfied", "Clear questions.")


def test_feedback_with_problems_says_what_to_fix_and_stores_nothing(
    visitor: Visitor, session: Session
) -> None:
    visitor.get("/feedback")
    page = visitor.post("/feedback", {"comments": "x" * 1201}, status=422).text
    assert "Select how you feel about this service" in page
    assert "must be 1200 characters or fewer" in page
    assert page.index('href="#rating"') < page.index('href="#comments"')
    assert visitor.post("/feedback", {"rating": "ecstatic"}, status=422)
    assert session.exec(select(Feedback)).all() == []


def test_feedback_needs_the_forms_token_and_is_rate_limited(
    visitor: Visitor, session: Session
) -> None:
    refused = visitor.client.post("/feedback", data={"rating": "satisfied"})
    assert refused.status_code in (400, 403)
    # Ten an hour per address, the refused one included: it was still a request.
    for _ in range(9):
        visitor.post("/feedback", {"rating": "neutral"})
    assert visitor.post("/feedback", {"rating": "neutral"}, status=429)
    assert len(session.exec(select(Feedback)).all()) == 9


def test_the_start_page_links_to_browsing_safely(visitor: Visitor) -> None:
    assert 'href="/browsing-safely"' in visitor.get("/").text
    page = visitor.get("/browsing-safely").text
    assert "Exit this page" in page and "private" in page and "999" in page


@pytest.mark.parametrize("path", ["/accessibility", "/staff/accessibility"])
def test_each_accessibility_statement_has_the_sections_the_regulations_require(
    visitor: Visitor, path: str
) -> None:
    page = visitor.get(path).text
    for heading in (
        "Compliance status",
        "Non-accessible content",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Preparation of this accessibility statement",
        "Feedback and contact information",
    ):
        assert heading in page, heading
    assert "partially compliant" in page and "Equality Advisory and Support Service" in page
    assert re.search(r"prepared on \d+ \w+ 20\d\d", page)


def test_staff_pages_have_footer_links_navigation_and_titles_equal_to_headings(
    app: Any, session: Session, clock: FixedClock
) -> None:
    staff = make_staff(session, clock)
    manager = browser_for(app, session, clock, staff["manager"].email)
    manager.sign_in()
    page = manager.get("/staff/process").text
    assert 'href="/staff/accessibility"' in page and 'href="/staff/privacy"' in page
    assert "govuk-service-navigation__list" in page
    title = re.search(r"<title>(.*?) – ", page).group(1)  # type: ignore[union-attr]
    heading = re.search(r'<h1 class="govuk-heading-l">\s*(.*?)\s*</h1>', page).group(1)  # type: ignore[union-attr]
    assert title == heading
    assert manager.get("/staff/privacy").status_code == 200


def test_pages_are_compressed_and_fingerprinted_assets_cached_for_a_year(
    visitor: Visitor,
) -> None:
    page = visitor.client.get("/", headers={"accept-encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    found = re.search(r'href="(/static/ct\.css\?v=[0-9a-f]{12})"', page.text)
    assert found is not None
    css = visitor.client.get(found.group(1), headers={"accept-encoding": "gzip"})
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    big = re.search(r'href="(/assets/govuk-frontend\.min\.css\?v=[0-9a-f]{12})"', page.text)
    if big is not None:  # GOV.UK Frontend installed (make assets)
        framework = visitor.client.get(big.group(1), headers={"accept-encoding": "gzip"})
        assert framework.headers["content-encoding"] == "gzip"
        assert framework.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = visitor.client.get("/static/ct.css")
    assert plain.headers["cache-control"] == "no-cache"
    stale = visitor.client.get("/static/ct.css?v=000000000000")
    assert stale.headers["cache-control"] == "no-cache"
    assert css.content == plain.content  # the same file either way


def test_a_pages_csrf_token_differs_on_every_page_but_each_one_works(visitor: Visitor) -> None:
    visitor.get("/apply/who")
    first = visitor.csrf()
    second = re.search(r'name="csrf_token" value="([^"]+)"', visitor.get("/feedback").text)
    assert second is not None and second.group(1) != first
    ok = visitor.client.post(
        "/feedback", data={"csrf_token": first, "rating": "satisfied"}, follow_redirects=False
    )
    assert ok.status_code == 303


def test_the_process_page_goes_compressed(app: Any, session: Session, clock: FixedClock) -> None:
    staff = make_staff(session, clock)
    manager = browser_for(app, session, clock, staff["manager"].email)
    manager.sign_in()
    raw = manager.client.get("/staff/process", headers={"accept-encoding": "identity"})
    packed = manager.client.get("/staff/process", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in raw.headers
    assert packed.headers["content-encoding"] == "gzip"
    wire = int(packed.headers["content-length"])
    # Measured: 17,284 bytes of HTML, 3,597 bytes on the wire.
    assert wire * 4 < len(raw.content)


def test_mermaids_chunks_named_by_their_hash_are_cached_for_good(visitor: Visitor) -> None:
    from web.fingerprints import FOLDERS

    chunks = FOLDERS["/assets/"] / "mermaid" / "chunks" / "mermaid.esm.min"
    found = sorted(chunks.glob("*-????????.mjs")) if chunks.exists() else []
    if not found:
        pytest.skip("Mermaid is not installed (make assets)")
    url = f"/assets/mermaid/chunks/mermaid.esm.min/{found[0].name}"
    assert visitor.client.get(url).headers["cache-control"] == (
        "public, max-age=31536000, immutable"
    )
    assert visitor.client.get("/assets/mermaid/mermaid.esm.min.mjs").headers["cache-control"] == (
        "no-cache"
    )
