"""The server `ctengine serve` runs: a cap on header size, and slow senders cut off
(issue 16, hole 9). These talk to a real uvicorn over a socket."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.settings import Settings
from tests.security.test_public_limits import app_with


@pytest.fixture
def served(settings: Settings, clock: FixedClock, db_engine: Any, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import uvicorn

    from tests.security.test_public_limits import _served
    from web import server

    monkeypatch.setattr(server, "REQUEST_READ_SECONDS", 0.5)
    app = app_with(settings, clock, db_engine)
    for url in _served(app, uvicorn, server.uvicorn_options()):
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def _exchange(address: tuple[str, int], data: bytes, wait: float = 5.0) -> bytes:
    with socket.create_connection(address, timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return received + b"<still open>"
            if not chunk:
                return received
            received += chunk


def test_headers_over_the_cap_are_refused(served: tuple[str, int]) -> None:
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n"
    answer = _exchange(served, big)
    assert answer.startswith(b"HTTP/1.1 4"), answer[:100]


def test_a_normal_request_is_answered(served: tuple[str, int]) -> None:
    answer = _exchange(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
    assert b"server: uvicorn" not in answer.lower()


def test_a_request_sent_too_slowly_is_cut_off(served: tuple[str, int]) -> None:
    # Half a request line, then nothing: the server closes the connection by itself.
    answer = _exchange(served, b"GET / HTTP/1.1\r\nHost: x\r\n", wait=5.0)
    assert not answer.endswith(b"<still open>")


def test_a_body_sent_too_slowly_is_cut_off(served: tuple[str, int]) -> None:
    head = b"POST /api/v1/threshold-check HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
    answer = _exchange(served, head + b"Content-Type: application/json\r\n\r\n{", wait=5.0)
    assert not answer.endswith(b"<still open>")
