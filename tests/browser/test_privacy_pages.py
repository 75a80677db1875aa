"""The case's personal-data pages in Chromium, as a manager: who looked, the legal hold
(its error and its success), the export link; axe on each."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_staff_pages import World, open_tab, sign_in, world

pytestmark = pytest.mark.browser
__all__ = ["open_tab", "world"]  # fixtures shared with the staff journey


def test_a_manager_sees_who_looked_and_puts_the_case_on_hold(open_tab: Any, world: World) -> None:
    manager = open_tab("privacy-pages")
    sign_in(manager, world, "manager")
    manager.go(f"/staff/cases/{world.appeal}")
    manager.click("link", "Who looked at this case")
    assert manager.heading() == "Who looked at this case"
    assert "Manager" in manager.page.locator("table").inner_text()
    manager.audit("who-looked")
    manager.click("link", f"Back to case {world.appeal}")
    manager.click("link", "Put this case on legal hold")
    assert manager.heading() == "Put this case on legal hold"
    manager.button("Put on hold")
    assert manager.error_summary() == ["Enter the reason for putting the case on hold"]
    manager.audit("legal-hold-error")
    manager.fill("Why?", "A claim has been lodged")
    manager.button("Put on hold")
    assert "This case is on legal hold" in manager.page.inner_text("#main-content")
    manager.audit("case-on-hold")
    assert manager.problems == []
