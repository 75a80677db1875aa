"""What a workflow's named guards and effects are given, and what a guard answers.

A workflow package (workflows/<name>/) writes its guards and effects against these; the
machine builds the contexts and calls them by name through the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from engine.models import Case, Deadline
from engine.registry import AreaConfig


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    field: str | None = None


OK = Verdict(True)


@dataclass
class GuardContext:
    """What a guard may look at: the case (read only), the event's data, and today's date."""

    session: Session
    case: Case
    area: AreaConfig
    trigger: str
    today: date
    data: Any = None
    resolved: dict[str, Any] = field(default_factory=dict)

    def open_deadline(self, name: str) -> Deadline | None:
        return self.session.exec(
            select(Deadline).where(
                Deadline.case_id == self.case.id, Deadline.name == name, Deadline.status == "open"
            )
        ).first()


@dataclass(frozen=True)
class Guard:
    check: Callable[[GuardContext], Verdict]
    needs_data: bool = False


@dataclass
class EffectContext:
    session: Session
    case: Case
    trigger: str
    data: Any
    actor_user_id: int | None
    now: datetime
    resolved: dict[str, Any]


Effect = Callable[[EffectContext], None]
