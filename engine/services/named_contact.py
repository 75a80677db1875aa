"""Managers hand a case to another named contact; the victim is told who and how to reach them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from engine import bulk, documents, machine, messages
from engine.access import Actor, require_case_access, roles_for_case
from engine.clock import Clock
from engine.errors import InvalidInput, InvalidTransition, NotAllowed, StaleVersion
from engine.models import AuditEvent, Case, Party, RoleGrant, User

TRIGGER = "contact_reassigned"
MESSAGE = "named_contact_changed"
REASON_LENGTH = 1000
_CASES = Case.__table__  # type: ignore[attr-defined]
_HAND_OVER = (
    _CASES.update()
    .where(_CASES.c.id == bindparam("w_id"), _CASES.c.version == bindparam("w_version"))
    .values(
        contact_user_id=bindparam("contact"),
        version=bindparam("new_version"),
        updated_at=bindparam("now"),
    )
)


def contact_choices(session: Session, *, case_ref: str, actor: Actor) -> dict[str, Any]:
    """The case as the form needs it: its version, who the named contact is now, and each
    active user holding the contact role in the case's locality."""
    case = _managed_case(session, case_ref, actor)
    current = documents.named_contact(session, case)
    current_id = documents.named_contact_id(session, case)
    return {
        "reference": case.reference,
        "version": case.version,
        "locality": case.locality_id,
        "current": current,
        "choices": [
            {
                "id": u.id,
                "name": u.name,
                "email": u.email,
                "current": current_id == u.id,
            }
            for u in _contacts(session, case)
        ],
    }


def reassign(
    session: Session,
    *,
    clock: Clock,
    case_ref: str,
    actor: Actor,
    contact_user_id: int | None,
    reason: str,
    expected_version: int,
) -> Case:
    """Make another point of contact of the case's locality its named contact: the case
    row (version-checked), its audit row and the message to the applicant, in one
    transaction."""
    try:
        case = _managed_case(session, case_ref, actor)
        if case.version != expected_version:
            raise StaleVersion(
                f"Case {case.reference} is at version {case.version}, not {expected_version}: "
                "someone else changed this case. Reload it and try again."
            )
        chosen = _chosen(session, case, contact_user_id, reason)
        previous = documents.named_contact(session, case)
        now = clock.now()
        done = session.connection().execute(
            _HAND_OVER,
            {
                "w_id": case.id,
                "w_version": expected_version,
                "contact": chosen.id,
                "new_version": expected_version + 1,
                "now": now,
            },
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(
                f"Case {case.reference} was changed by someone else just now. Reload it and "
                "try again."
            )
        case.version, case.contact_user_id = expected_version + 1, chosen.id
        data = {
            "contact_user_id": chosen.id,
            "contact_name": chosen.name,
            "contact_email": chosen.email,
            "previous_contact_name": previous["name"] if previous else None,
        }
        bulk.insert_models(
            session,
            AuditEvent(
                case_id=case.id,
                version=case.version,
                occurred_at=now,
                actor_user_id=actor.user_id,
                actor_label=actor.label,
                trigger=TRIGGER,
                from_state=case.state,
                to_state=case.state,
                reason=reason.strip() or None,
                data=data,
            ),
        )
        _tell_applicant(session, case, data, now)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return case


def _managed_case(session: Session, case_ref: str, actor: Actor) -> Case:
    case = machine.load_case(session, case_ref)
    roles = roles_for_case(session, actor, case, now=False)
    require_case_access(actor, roles, case_ref, area_id=case.area_id)
    if "manager" not in roles:
        raise NotAllowed("Only a manager of this locality can change the named contact.")
    if case.state in _terminal(case):
        raise InvalidTransition(f"Case {case.reference} is closed: it has no contact to change.")
    return case


def _terminal(case: Case) -> tuple[str, ...]:
    from engine import registry

    return tuple(str(s) for s in registry.workflow(case.workflow_name).terminal)


def _contacts(session: Session, case: Case) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
            .where(
                RoleGrant.role == "contact",
                RoleGrant.area_id == case.area_id,
                RoleGrant.locality_id == case.locality_id,
                col(User.active).is_(True),
            )
            .order_by(col(User.name), col(User.id))
        ).all()
    )


def _chosen(session: Session, case: Case, user_id: int | None, reason: str) -> User:
    errors = []
    if len(reason) > REASON_LENGTH:
        errors.append(
            {
                "field": "reason",
                "message": f"The reason must be {REASON_LENGTH} characters or fewer",
            }
        )
    eligible = {u.id: u for u in _contacts(session, case)}
    chosen = eligible.get(user_id) if user_id is not None else None
    if chosen is None:
        errors.insert(
            0,
            {
                "field": "contact",
                "message": "Choose a point of contact of this case's locality",
            },
        )
    elif documents.named_contact_id(session, case) == chosen.id:
        errors.insert(
            0, {"field": "contact", "message": f"{chosen.name} is already the named contact"}
        )
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)
    assert chosen is not None
    return chosen


def _tell_applicant(session: Session, case: Case, data: dict[str, Any], now: Any) -> None:
    party = session.exec(
        select(Party).where(Party.case_id == case.id, Party.kind == "applicant")
    ).first()
    found = messages.applicant_contact(party, case.contact_preference)
    if found is None:
        return
    recipient, channel = found
    messages.queue_message(
        session,
        case_id=case.id,
        message=MESSAGE,
        recipient=recipient,
        recipient_role="applicant",
        channel=channel,
        context={
            "reference": case.reference,
            "locality": case.locality_id,
            "state": case.state,
            "trigger": TRIGGER,
            "data": data,
        },
        idempotency_key=f"{case.id}:{case.version}:{MESSAGE}:applicant",
        now=now,
    )
