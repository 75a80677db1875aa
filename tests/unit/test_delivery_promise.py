"""The outbox's promise is written once and repeated word for word where people read it."""

from __future__ import annotations

import re
from pathlib import Path

import notifications.outbox

ROOT = Path(__file__).resolve().parents[2]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _promise() -> str:
    doc = notifications.outbox.__doc__ or ""
    start = doc.index("Every message written to the outbox")
    return _words(doc[start : doc.index("\n\n", start)])


def test_the_docs_and_the_readme_say_the_outbox_promise_word_for_word() -> None:
    promise = _promise()
    assert promise.endswith('A failed "sent" commit, a slow relay and a SIGTERM repeat nothing.')
    for name in ("docs/operations.md", "README.md"):
        assert promise in _words((ROOT / name).read_text("utf-8")), name
