"""The managers' pages and authenticator set-up in Chromium: axe on each, screenshots kept."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyotp
import pytest

from engine.clock import FixedClock
from engine.services import auth
from notifications.channels import PermanentFailure
from notifications.outbox import dispatch_once
from tests.browser.test_staff_pages import PASSWORD, World, open_tab, sign_in, world
from tests.integration.test_outbox import RecordingChannel

pytestmark = pytest.mark.browser
__all__ = ["open_tab", "world"]  # fixtures shared with the staff journey


def test_a_manager_reads_a_ledger_and_retries_a_dead_letter(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    refused = RecordingChannel(failures=[PermanentFailure("mailbox full") for _ in range(50)])
    dispatch_once(world.sessions, channel=refused, clock=clock, worker="w1", base_url="http://ct")
    manager = open_tab("manager-pages")
    sign_in(manager, world, "manager")
    manager.go(f"/staff/cases/{world.appeal}")
    manager.click("link", "Reminders and messages for these deadlines")
    assert manager.heading() == "Reminders and messages"
    manager.audit("reminders")
    manager.click("link", "Dead letters")
    assert manager.heading() == "Dead letters"
    manager.audit("dead-letters")
    with manager.page.expect_navigation():
        manager.page.get_by_role("button", name=re.compile(r"^Retry")).first.click()
    banner = manager.page.locator(".govuk-notification-banner--success")
    assert "will be sent again" in banner.inner_text()
    manager.audit("dead-letter-retried")
    assert manager.problems == []


def test_a_reset_authenticator_is_set_up_from_the_qr_code_page(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    with world.sessions() as s:
        email = world.staff["contact"].email
        secret = auth.set_password(
            s, clock=clock, email=email, password=PASSWORD, new_totp=True
        ).totp_secret
    t = open_tab("enrol")
    t.go("/staff/login")
    t.fill("Email address", email)
    t.fill("Password", PASSWORD)
    t.button("Continue")
    assert t.heading() == "Set up your authenticator app"
    qr = t.page.get_by_role("img", name=re.compile("QR code to add your account"))
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    t.audit("enrol")
    t.fill("Enter the code from your app", "000000")
    t.button("Confirm and sign in")
    assert t.error_summary() == ["Enter a correct security code."]
    t.audit("enrol-error")
    t.fill("Enter the code from your app", pyotp.TOTP(secret).at(clock.now()))
    t.button("Confirm and sign in")
    assert t.heading() == "My work"
    assert t.problems == []


def test_a_manager_exports_cases_from_the_export_page(open_tab: Any, world: World) -> None:
    manager = open_tab("export-pages")
    sign_in(manager, world, "manager")
    manager.click("link", "Export cases")
    assert manager.heading() == "Export cases"
    manager.audit("export")
    for part, value in (("day", "31"), ("month", "2"), ("year", "2026")):
        manager.page.fill(f"#since-{part}", value)
    manager.button("Download CSV")
    summary = manager.page.locator(".govuk-error-summary")
    assert "Enter a real date to export from" in summary.inner_text()
    manager.audit("export-error")
    manager.page.fill("#since-day", "1")
    with manager.page.expect_download() as download:
        manager.page.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("reference,workflow,state,") and world.appeal in text
    assert manager.problems == []
