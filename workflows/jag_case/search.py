"""The words /staff/cases finds a JAG case by: the name of each person it is about, the
label and postcode of each place (engine.case_search reads them from case_search_term).

Called wherever a subject is linked to a case (the referral, the add_subject event), in
that transaction, so a case is findable by its people from the moment it exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from engine import case_search
from engine.models import CaseSearchTerm

_TERM = CaseSearchTerm.__table__  # type: ignore[attr-defined]


def index_subject(session: Session, *, case_id: int, subject: dict[str, Any]) -> None:
    """Add the subject's words to the case's search terms (a word it has already is kept)."""
    party = {
        "name": subject.get("name") or subject.get("label"),
        "postcode": subject.get("postcode"),
    }
    rows = case_search.term_rows(case_id, [party])
    if not rows:
        return
    have = set(
        session.connection()
        .execute(select(_TERM.c.term).where(col(CaseSearchTerm.case_id) == case_id))
        .scalars()
    )
    new = [r for r in rows if r["term"] not in have]
    if new:
        session.connection().execute(_TERM.insert(), new)
