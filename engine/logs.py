"""Logging for every process: one JSON object a line, with personal data taken out.

Applicants' e-mail addresses, phone numbers and postcodes never reach a log: the database
engines hide statement parameters (engine.db), and `RedactPersonalData`, on every handler,
rewrites each record's message and traceback, whatever logger it came from.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

_PATTERNS = (
    (re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # UK numbers: 07700 900123, +44 7700 900123, 0116 123 4567.
    (re.compile(r"(?<![\w/])(?:\+44\s?|0)(?:\d[\s-]?){9,10}(?!\w)"), "[phone]"),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE), "[postcode]"),
)
# Fields a record may carry (`extra=`) that the JSON formatter writes out as they are.
FIELDS = ("method", "route", "status", "duration_ms", "request_id", "worker", "event")


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPersonalData(logging.Filter):
    """Rewrites the record's message (arguments merged in) and its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep the bare message
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, known extra fields, error."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["error"] = record.exc_text
        return json.dumps(line, default=str)


def configure(
    *, level: int = logging.INFO, json_lines: bool = True, stream: TextIO | None = None
) -> None:
    """Route every logger (uvicorn's and APScheduler's too) through one redacting handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactPersonalData())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(logging.BASIC_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    # The request log (web.ops) says the same as uvicorn's access log, without raw paths.
    logging.getLogger("uvicorn.access").disabled = True
