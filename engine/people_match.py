"""How a person or place is matched across cases and imports: the `match_key` of
engine.models.people (a name folded with the date of birth; a place label with its postcode).
One rule for every way a record arrives (a JAG referral, a Sentinel import), so the same
person is one record whichever came first; migration 0015 put older keys under it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from engine.models import CaseSubject, Person, Place

_DROPPED = re.compile(r"[^a-z0-9 ]+")


def fold(text: str) -> str:
    """Lower case, accents, punctuation and spacing folded: "O'Brien,  Zoë" -> "obrien zoe"
    (a hyphen parts words: "Smith-Jones" -> "smith jones")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_DROPPED.sub("", plain.lower().replace("-", " ")).split())


def person_key(name: str, date_of_birth: date | None) -> str:
    """ "Amira  Patel" born 1980-04-02 -> "amira patel|1980-04-02" (no date: "amira patel|")."""
    return f"{fold(name)}|{date_of_birth.isoformat() if date_of_birth else ''}"[:240]


def place_key(label: str, postcode: str | None) -> str:
    """The place's folded label and its postcode without spaces."""
    code = "".join((postcode or "").upper().split())
    return f"{fold(label)}|{code}"[:320]


def case_subjects(session: Session, case_id: int) -> list[tuple[Any, Any, Any]]:
    """The case's people and places as (link, person or None, place or None), in the order
    they were added."""
    return list(
        session.exec(
            select(CaseSubject, Person, Place)
            .outerjoin(Person, col(Person.id) == CaseSubject.person_id)
            .outerjoin(Place, col(Place.id) == CaseSubject.place_id)
            .where(CaseSubject.case_id == case_id)
            .order_by(col(CaseSubject.id))
        ).all()
    )
