"""Answering a repeated request with its first answer: an application is made only once.

A client that never heard the answer (its connection dropped, a proxy timed out) sends the
same request again with the same key: it gets the first answer back and nothing new is
stored. The key is remembered in the transaction that made the case, so there is no moment
when the case exists and the key does not. Keys are kept for KEEP, then purged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from engine.clock import Clock
from engine.errors import InvalidInput
from engine.models import IdempotentRequest
from workflows.community_trigger.services.applications import ApplicationIn
from workflows.community_trigger.services.intake import prepare_application, write_application

KEEP = timedelta(hours=24)
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def earlier(session: Session, key: str, print_: str, clock: Clock) -> Answer | None:
    """The first answer given under `key`, if any; refused if it was for another request."""
    row = session.get(IdempotentRequest, key, populate_existing=True)
    if row is None or row.created_at <= clock.now() - KEEP:
        return None
    if row.fingerprint != print_:
        raise InvalidInput(
            f"This {HEADER} was used before with a different request. Use a new key for a"
            " new application.",
            field=HEADER,
        )
    return Answer(row.status_code, dict(row.answer), replayed=True)


def remember(
    session: Session, *, key: str, print_: str, status_code: int, body: dict[str, Any], clock: Clock
) -> None:
    """Keep the answer in the caller's transaction (an expired row under the key goes)."""
    session.execute(
        delete(IdempotentRequest).where(
            col(IdempotentRequest.key) == key,
            col(IdempotentRequest.created_at) <= clock.now() - KEEP,
        )
    )
    session.add(
        IdempotentRequest(
            key=key,
            fingerprint=print_,
            status_code=status_code,
            answer=body,
            created_at=clock.now(),
        )
    )


def submit_application_once(
    session: Session, *, clock: Clock, application: ApplicationIn, key: str
) -> Answer:
    """Open the case, or give back the answer already given for this key and request."""
    scoped, print_ = f"api:applications:{key}", fingerprint(application.model_dump(mode="json"))
    found = earlier(session, scoped, print_, clock)
    session.rollback()  # the read's transaction ends before the checks and the write
    if found is not None:
        return found
    prepared = prepare_application(application, clock=clock)
    try:
        done = write_application(session, prepared)
        body = {"reference": done.reference, "status_token": done.status_token}
        remember(session, key=scoped, print_=print_, status_code=201, body=body, clock=clock)
        session.commit()
    except IntegrityError:
        # Another request with the same key won the race: its answer is the answer.
        session.rollback()
        found = earlier(session, scoped, print_, clock)
        if found is None:
            raise
        return found
    except Exception:
        session.rollback()
        raise
    return Answer(201, body, replayed=False)


def purge(session: Session, *, clock: Clock) -> int:
    """Forget answers older than KEEP (they hold status tokens)."""
    gone = session.execute(
        delete(IdempotentRequest).where(col(IdempotentRequest.created_at) <= clock.now() - KEEP)
    )
    session.commit()
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
