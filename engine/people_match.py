"""How a person or place is matched across cases and imports: the `match_key` of
engine.models.people (a name folded with the date of birth; a place label with its postcode).
"""

from __future__ import annotations

import re
from datetime import date

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, every run of spaces and punctuation as one space, trimmed."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def person_key(name: str, date_of_birth: date | None) -> str:
    """ "Amira  Patel" born 1980-04-02 -> "amira patel|1980-04-02" (no date: "amira patel|")."""
    return f"{fold(name)}|{date_of_birth.isoformat() if date_of_birth else ''}"[:240]


def place_key(label: str, postcode: str | None) -> str:
    """The place's folded label and its postcode without spaces."""
    code = "".join((postcode or "").upper().split())
    return f"{fold(label)}|{code}"[:320]
