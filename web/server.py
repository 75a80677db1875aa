"""How `ctengine serve` runs uvicorn: header size cap, read timeouts, no proxy trust of its
own, and an access log that never holds a private status link."""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from typing import Any

import h11
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from web.security import MAX_HEADER_BYTES

# A client has this long to send a whole request (headers and body) once it starts one,
# so slow senders cannot hold connections open for ever.
REQUEST_READ_SECONDS = 20.0
# An idle kept-alive connection is closed after this long.
KEEP_ALIVE_SECONDS = 5
_STATUS_PATH = re.compile(r"^/status/[^?\s]*")


class StatusLinkFilter(logging.Filter):
    """Writes `/status/…` in place of a status link's token in uvicorn's access log: the
    token is the only key to an applicant's case, and logs are read by more people."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], hide_status_token(args[2]), *args[3:])
        return True


def hide_status_token(path: str) -> str:
    return _STATUS_PATH.sub("/status/…", path)


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for reading each request: uvicorn times out
    idle kept-alive connections, but not a request sent a byte at a time."""

    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY) and self._read_timer:
            self._read_timer.cancel()
            self._read_timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
        self._read_timer = self.loop.call_later(REQUEST_READ_SECONDS, self._timed_out)

    def _timed_out(self) -> None:
        self._read_timer = None
        reading = self.conn.their_state in (h11.IDLE, h11.SEND_BODY)
        if reading and self.conn.our_state is not h11.SEND_BODY:
            self.transport.close()


def log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, with the status-link filter on the access log."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["status_links"] = {"()": StatusLinkFilter}
    config["handlers"]["access"]["filters"] = ["status_links"]
    return config


def uvicorn_options() -> dict[str, Any]:
    """Keyword arguments for uvicorn.run / uvicorn.Config (docs/security.md explains each).

    proxy_headers is off: the app itself believes X-Forwarded-For only from the proxies in
    CTENGINE_TRUSTED_PROXIES (uvicorn would otherwise trust any peer on 127.0.0.1).
    """
    return {
        "http": ReadTimeoutH11Protocol,
        "proxy_headers": False,
        "server_header": False,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "log_config": log_config(),
    }
