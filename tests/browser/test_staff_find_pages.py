"""Find a case, the named-contact change and the users pages in Chromium: axe on each."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_staff_pages import World, open_tab, sign_in, world

pytestmark = pytest.mark.browser
__all__ = ["open_tab", "world"]  # fixtures shared with the staff journey


def test_a_manager_finds_a_case_filters_it_and_hands_it_over(open_tab: Any, world: World) -> None:
    manager = open_tab("find-a-case")
    sign_in(manager, world, "manager")
    manager.click("link", "Find a case")
    assert manager.heading() == "Find a case"
    manager.audit("cases")
    manager.fill("Search", world.late)
    manager.page.get_by_role("button", name="Search and apply filters").first.click()
    manager.page.wait_for_load_state("load")
    rows = manager.page.locator("table.govuk-table tbody tr")
    assert rows.count() == 1 and world.late in rows.first.inner_text()
    manager.audit("cases-searched")
    manager.go("/staff/cases?from-day=31&from-month=2&from-year=2026")
    assert manager.error_summary() == ["The first received date must be a real date"]
    manager.audit("cases-error")
    manager.go(f"/staff/cases/{world.review}")
    manager.page.get_by_role("link", name=re.compile("Change.*named contact")).click()
    manager.page.wait_for_load_state("load")
    assert manager.heading() == "Change the named contact"
    manager.audit("contact")
    assert manager.problems == []


def test_an_admin_adds_a_user_and_gives_a_role(open_tab: Any, world: World) -> None:
    admin = open_tab("users")
    sign_in(admin, world, "admin")
    admin.click("link", "Users")
    assert admin.heading() == "Users"
    admin.audit("users")
    admin.click("button", "Add a user")  # a link styled and announced as a button
    admin.button("Add the user")
    assert "Enter their full name" in admin.error_summary()
    admin.audit("user-new-error")
    admin.fill("Full name", "Nia New")
    admin.fill("Work email address", "nia@example.org")
    admin.choose("Point of contact")
    admin.page.select_option("#locality", "blaby")
    admin.button("Add the user")
    assert admin.heading() == "User added"
    admin.audit("user-added")
    admin.click("link", "Go to Nia New's page")
    assert admin.heading() == "Nia New"
    admin.audit("user")
    assert admin.problems == []
