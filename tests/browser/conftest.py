"""Browser fixtures: Debian's Chromium driven by Playwright, the app on a loopback port.

Opt-in by marker (`-m browser` or `-m "not browser"`); skipped with a reason when Chromium,
the GOV.UK Frontend assets or axe-core are not installed (`make assets`; CI installs both).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
GOVUK_CSS = ROOT / "web" / "static" / "govuk-frontend.min.css"
SCREENSHOTS = ROOT / "build" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # No back/forward cache: "Back" re-asks the server, so a test of it is a test of our pages,
    # and Chromium never swaps the page out from under the driver mid-navigation.
    "--disable-features=BackForwardCache",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium through the public pages")


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (apt-get install chromium chromium-driver)"
    if not GOVUK_CSS.exists() or not AXE.exists():
        return "front-end assets are not installed (run `make assets`)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE.read_text("utf-8")


__all__ = ["serve"]
