"""Checks shared by the JSON API tests: problem answers, and never a server error."""

from __future__ import annotations

from typing import Any

import httpx

API = "/api/v1"
PROBLEM = "application/problem+json"


def never_a_server_error(client: Any) -> None:
    """Make every response of this client fail the test on a 500 or a traceback in the body."""

    def check(response: httpx.Response) -> None:
        response.read()
        assert response.status_code < 500, response.text
        assert "Traceback" not in response.text

    client.event_hooks["response"].append(check)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem answer with this status, and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body
