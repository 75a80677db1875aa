"""/api/v1/docs draws the API reference in a real browser under the content security
policy (issue 16, hole 10)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.browser
def test_the_api_reference_page_draws_under_the_content_security_policy(
    chromium: Any, live_server: str
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    drawn = page.inner_text("#swagger-ui")
    assert "ctengine" in drawn and "/api/v1/applications" in drawn, drawn[:500]
    assert page.locator(".opblock").count() >= 5  # one block per route
    assert not [r for r in refused if "Content Security Policy" in r or "swagger" in r]
    context.close()
