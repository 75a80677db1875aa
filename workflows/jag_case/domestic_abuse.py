"""Flag a JAG victim case as domestic abuse with its repeat count: the standing agenda item
lists the locality's top repeat victims from these flags."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from engine.access import Actor, require_case_access, roles_for_case
from engine.clock import Clock
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.models import Case
from workflows.jag_case.definition import JAG_CASE, PARTNERS
from workflows.jag_case.meeting_models import JagDomesticAbuse
from workflows.jag_case.models import JagCase


def set_flag(
    session: Session, *, clock: Clock, actor: Actor, case_ref: str, repeat_count: Any
) -> JagDomesticAbuse | None:
    """Flag (or re-count) a victim case; a count of 0 removes the flag. Commits."""
    case = session.exec(select(Case).where(Case.reference == case_ref)).first()
    if case is None or case.workflow_name != JAG_CASE.name:
        raise NotFound(f"There is no JAG case {case_ref}.")
    roles = roles_for_case(session, actor, case)
    require_case_access(actor, roles, case_ref, area_id=case.area_id)
    if not roles & set(PARTNERS):
        raise NotAllowed("Only those working this case may flag it.")
    jag = session.get(JagCase, case.id)
    if jag is None or jag.subject_kind != "victim":
        raise InvalidInput("Only a victim's case can be flagged as domestic abuse.", field="case")
    text = str(repeat_count).strip()
    if not text.isdigit() or int(text) > 999:
        raise InvalidInput("Enter the number of repeat incidents, 0 to 999", field="repeat_count")
    row = session.get(JagDomesticAbuse, case.id)
    try:
        if int(text) == 0:
            if row is not None:
                session.delete(row)
            session.commit()
            return None
        row = row or JagDomesticAbuse(case_id=case.id, repeat_count=0, updated_at=clock.now())  # type: ignore[arg-type]
        row.repeat_count, row.updated_at, row.updated_by = int(text), clock.now(), actor.user_id
        session.add(row)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return row
