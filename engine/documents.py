"""The documents stored with a case: written in the transaction of the event that produced
them, listed and fetched for people who may see the case (the web only delivers the bytes).

Which documents an event writes, and what they say, is the workflow package's business
(its effects call `store`). PDFs are made with fpdf2, tagged for screen readers: see
engine/pdf.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine import letters
from engine.errors import NotFound
from engine.models import Case, Document
from engine.pdf import Pdf as _Pdf

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"


@dataclass(frozen=True)
class NewDocument:
    kind: str
    title: str
    media_type: str
    filename: str
    content: bytes


# ---------------------------------------------------------------- storing and reading


def store(
    session: Session,
    case: Case,
    docs: list[NewDocument],
    *,
    event_version: int,
    created_by: int | None,
    now: datetime,
) -> None:
    """Add documents to the session; they are written with the event's transaction."""
    for d in docs:
        session.add(
            Document(
                case_id=case.id,  # type: ignore[arg-type]
                event_version=event_version,
                kind=d.kind,
                title=d.title,
                media_type=d.media_type,
                filename=d.filename,
                size=len(d.content),
                content=d.content,
                created_at=now,
                created_by=created_by,
            )
        )


_LISTED = (
    Document.id,
    Document.kind,
    Document.title,
    Document.media_type,
    Document.filename,
    Document.size,
    Document.created_at,
    Document.event_version,
)


# Built once: every case page lists its documents.
_LISTED_BY_CASE = (
    sa_select(*_LISTED)
    .where(col(Document.case_id) == bindparam("d_case"))
    .order_by(col(Document.id))
)


def listed(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The case's documents, oldest first, without their bytes."""
    rows = session.connection().execute(_LISTED_BY_CASE, {"d_case": case_id}).all()
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "title": r.title,
            "format": "PDF" if r.media_type == PDF else "HTML",
            "filename": r.filename,
            "size": r.size,
            "created_at": r.created_at.isoformat(),
            "event_version": r.event_version,
        }
        for r in rows
    ]


def fetch(session: Session, *, case_id: int, document_id: int) -> Document:
    """A document of this case (callers check the reader may see the case first)."""
    found = session.exec(
        select(Document).where(Document.id == document_id, Document.case_id == case_id)
    ).first()
    if found is None:
        raise NotFound(f"There is no document {document_id} on this case.")
    return found


def named_contact(session: Session, case: Case) -> dict[str, str] | None:
    """The case's named point of contact (see letters.named_contact)."""
    return letters.named_contact(session, case)


def named_contact_id(session: Session, case: Case) -> int | None:
    """The user id of the case's named contact (see letters.named_contact)."""
    return letters.named_contact_id(session, case)


def case_rows(session: Session, table: Any, case: Case) -> list[Any]:
    """The case's rows of `table` as model objects in id order (reports and subject access)."""
    return list(
        session.exec(select(table).where(table.case_id == case.id).order_by(col(table.id))).all()
    )


def plain_pdf(reference: str, title: str) -> _Pdf:
    """A plain, tagged A4 document for other engine modules (the subject access export)."""
    return _Pdf(reference, title)
