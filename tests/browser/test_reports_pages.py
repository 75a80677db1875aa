"""The figures page, the managers' dashboard and the equalities report in Chromium: axe on
each, screenshots kept (build/screenshots), the year and filters chosen without script."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.browser.test_staff_pages import World, open_tab, sign_in, world

pytestmark = pytest.mark.browser
__all__ = ["open_tab", "world"]  # fixtures shared with the staff journey


def test_the_public_figures_page_chooses_a_year_and_passes_axe(open_tab: Any, world: World) -> None:
    t = open_tab("figures")
    t.go("/figures")
    assert t.heading() == "ASB Case Review figures"
    t.audit("figures")
    t.page.select_option("#year", "2025")
    t.button("Show figures")
    assert "year=2025" in t.page.url
    caption = t.page.locator("caption").first.inner_text()
    assert "April 2025 to March 2026" in caption
    # Three applications arrived on 2 March 2026 in the journey's world.
    total = t.page.locator("tr", has_text="Total: Leicester, Leicestershire and Rutland")
    assert total.locator("td").first.inner_text().strip() == "3"
    t.audit("figures-2025")
    t.go("/figures?year=nonsense")
    assert t.error_summary() == [
        "Enter the year the financial year begins in, as four digits, like 2026."
    ]
    t.audit("figures-error")
    assert t.problems == [], t.problems


def test_a_manager_reads_the_dashboard_and_equalities_report(open_tab: Any, world: World) -> None:
    m = open_tab("dashboard")
    sign_in(m, world, "manager")
    m.click("link", "Dashboard")
    assert m.heading() == "Performance dashboard"
    assert m.page.locator("svg[role=img]").count() >= 2
    m.audit("dashboard")
    m.page.select_option("#locality", "leicester")
    m.button("Show")
    assert "locality=leicester" in m.page.url
    m.audit("dashboard-leicester")
    m.date("from", date(2026, 2, 28))
    m.page.fill("#from-day", "31")  # 31 February
    m.button("Show")
    assert m.error_summary() == ["Enter a real start date, like 1 4 2026."]
    m.audit("dashboard-error")
    m.click("link", "Equalities")
    assert m.heading() == "Equalities report"
    m.audit("equalities")
    assert m.problems == []
