"""The staff workspace's MOJ Frontend components and Mermaid diagram, in Chromium.

The process diagram is drawn in the browser; My work's table sorts by a column header; the
overdue filters narrow the list with JavaScript off; axe finds nothing on each page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from engine.clock import FixedClock
from tests.browser.test_public_pages import WIDTHS, Tour
from tests.browser.test_staff_pages import World, sign_in
from tests.browser.test_staff_pages import open_tab as open_tab  # noqa: F401 - a fixture
from tests.browser.test_staff_pages import world as world  # noqa: F401 - a fixture
from tests.factories import make_case

pytestmark = pytest.mark.browser


@pytest.fixture
def no_script_tab(chromium: Any, live_server: str, axe_source: str) -> Iterator[Any]:
    """A tab with JavaScript off: the pages must work as plain HTML."""
    context = chromium.new_context(
        viewport={"width": WIDTHS[0], "height": 900}, java_script_enabled=False
    )
    context.set_default_timeout(5000)
    yield Tour(context.new_page(), live_server, axe_source, "staff-frontend-no-js")
    context.close()


def column(t: Tour, table: str, index: int) -> list[str]:
    """The text of one column of a table, top to bottom, as the reader sees it now."""
    cells = t.page.locator(f"{table} tbody tr td:nth-child({index})")
    return [text.strip() for text in cells.all_inner_texts()]


def test_the_process_page_draws_the_workflow_and_lists_it_in_text(
    open_tab: Any,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    t = open_tab("frontend-process")
    sign_in(t, world, "manager")
    # Inline styles (Mermaid's SVG) are allowed on this page only; scripts never inline.
    csp = t.page.goto(t.base + "/staff").headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "style-src 'self';" in csp
    t.click("link", "The process")
    process = t.page.request.get(t.base + "/staff/process").headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline';" in process and "script-src 'self';" in process
    assert process.count("unsafe-inline") == 1
    assert t.page.locator(".govuk-service-navigation__link[aria-current=page]").inner_text() == (
        "The process"
    )
    drawn = t.page.locator("[data-ct-diagram-drawing] svg")
    drawn.wait_for(state="visible", timeout=30_000)  # Mermaid loads its chunks first
    # Drawn from the live definition: every state name appears in the drawing.
    text = drawn.text_content() or ""
    for state in ("submitted", "review_scheduled", "appeal_papers_sent", "closed"):
        assert state in text
    # The text lists are the accessible equivalent; the drawing is titled and then hidden.
    assert drawn.get_attribute("aria-hidden") == "true"
    assert "stages and steps" in (drawn.locator("title").text_content() or "")
    assert t.page.locator("[data-ct-diagram-source]").text_content().startswith("stateDiagram")
    assert t.page.get_by_role("heading", name="Stages").count() == 1
    t.audit("process")
    assert t.problems == []


def test_my_work_sorts_by_a_column_header_and_the_case_page_has_a_timeline(
    open_tab: Any,  # noqa: F811
    world: World,  # noqa: F811
    clock: FixedClock,
) -> None:
    with world.sessions() as s:
        extra = [make_case(s, clock, incidents=2).reference for _ in range(3)]
    world.fire(extra[0], "acknowledge", "contact", None)
    t = open_tab("frontend-work")
    sign_in(t, world, "jag_chair")
    table = "table[data-module=moj-sortable-table]"
    before = column(t, table, 1)
    assert len(before) >= 3
    # MOJ Frontend turned each sortable heading into a button.
    t.page.get_by_role("button", name="Case", exact=True).click()
    assert t.page.locator(f"{table} th", has_text="Case").get_attribute("aria-sort") == (
        "ascending"
    )
    assert column(t, table, 1) == sorted(before)
    t.page.get_by_role("button", name="Case", exact=True).click()
    assert column(t, table, 1) == sorted(before, reverse=True)
    assert t.page.locator(f"{table} .moj-badge").count() >= len(before)
    t.audit("my-work-sorted")

    t.go(f"/staff/cases/{world.review}")
    items = t.page.locator(".moj-timeline .moj-timeline__item")
    assert items.count() >= 2  # submitted and acknowledged, newest first
    assert items.first.locator(".moj-timeline__title").inner_text() == (
        "Acknowledge the application"
    )
    assert items.first.locator("time").get_attribute("datetime")
    t.audit("case-timeline")
    assert t.problems == []


def test_the_overdue_filters_narrow_the_rows_without_javascript(
    open_tab: Any,  # noqa: F811
    no_script_tab: Tour,
    world: World,  # noqa: F811
    clock: FixedClock,
) -> None:
    clock.advance(days=40)
    t = no_script_tab
    sign_in(t, world, "manager")
    t.click("link", "Overdue")
    table = "table.govuk-table[data-module=moj-sortable-table]"
    everything = column(t, table, 2)
    assert {"Leicester", "Melton"} <= set(everything)

    # Each option shows how many items it has: "Melton (2)".
    t.page.get_by_label(re.compile(r"^Melton \(\d+\)$")).check()
    t.button("Apply filters")
    assert "locality=melton" in t.page.url
    melton = column(t, table, 2)
    assert melton and set(melton) == {"Melton"} and len(melton) < len(everything)
    # In the overdue table (the late case may also be listed above it, under steps nobody
    # holds the role for: reliability's table).
    assert t.page.locator(table).get_by_role("link", name=world.late).count() == len(melton)
    # The chosen filter shows as a tag that removes it.
    assert t.page.locator(".moj-filter__tag").count() == 1

    t.go("/staff/overdue?step=acknowledgement")
    rows = column(t, table, 3)
    assert rows and set(rows) == {"Acknowledge the application"}
    assert len(rows) < len(everything)
    t.page.locator(".moj-filter__tag").first.click()
    t.page.wait_for_load_state("load")
    assert column(t, table, 2) == everything
    t.go("/staff/overdue?locality=nowhere")
    assert "Nothing overdue matches these filters" in t.page.inner_text("main")

    # The same page with JavaScript: sortable headings, and axe on the filtered page.
    js = open_tab("frontend-overdue")
    sign_in(js, world, "manager")
    js.go("/staff/overdue?locality=leicester&locality=melton")
    assert js.page.get_by_role("button", name="Locality", exact=True).count() == 1
    # The overdue table's own caption (reliability added a table above the summaries).
    assert re.search(r"filtered \(\d+ of \d+\)", js.page.inner_text(f"{table} caption"))
    js.audit("overdue-filtered")
    js.page.get_by_role("button", name="Overdue", exact=True).click()
    days = [int(d.split()[0]) for d in column(js, table, 6)]
    assert days == sorted(days)
    assert js.problems == [] and t.problems == []
