"""Recording events on a case: the one entry point the API, pages and CLI share."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from engine import machine
from engine.access import Actor
from engine.clock import Clock
from engine.models import Case


def record_event(
    session: Session,
    *,
    clock: Clock,
    case_ref: str,
    event: str,
    data: dict[str, Any] | None,
    actor: Actor,
    expected_version: int,
) -> Case:
    """Fire one workflow event on a case as the actor, refusing a stale version."""
    return machine.fire_trigger(
        session,
        clock=clock,
        case_ref=case_ref,
        trigger=event,
        data=data,
        actor=actor,
        expected_version=expected_version,
    )
