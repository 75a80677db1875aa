"""A caller who says they are the applicant: their reference and code checked against the case.

The named contact asks for the reference and code from the caller's letters or messages
before talking about the case, the phone equivalent of the private status link.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from engine import queries
from engine.access import Actor
from engine.clock import Clock
from workflows.community_trigger.services.public_status import find_by_code


@dataclass(frozen=True)
class CallerCheck:
    reference: str
    matches: bool


def check_caller(
    session: Session, *, reference: str, code: str, actor: Actor, clock: Clock
) -> CallerCheck:
    """Whether `code` is the case's status code; refused exactly as the case page is (a
    case the actor may not open is not found, or not allowed)."""
    detail = queries.case_detail(
        session, reference=reference.strip().upper(), actor=actor, clock=clock
    )
    found = find_by_code(session, reference=detail["reference"], code=code)
    return CallerCheck(detail["reference"], found is not None)
