"""The Community Trigger's own columns in a case export (engine/services/case_export.py).

Every read of a Community Trigger field for the export is here: its detail row
(ct_case), joined to the generic case.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from engine.models import Case
from workflows.community_trigger.models import CommunityTriggerCase

EXPORT_COLUMNS = (
    "application_on",
    "hate_incident",
    "threshold_decision",
    "threshold_met",
    "review_meeting_on",
    "closure_reason",
)


def export_values(session: Session, case_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = session.connection().execute(
        select(
            Case.id,
            CommunityTriggerCase.application_on,
            CommunityTriggerCase.hate_incident,
            CommunityTriggerCase.threshold_decision,
            CommunityTriggerCase.threshold_assessment,
            CommunityTriggerCase.review_meeting_on,
            Case.closure_reason,
        )
        .join(CommunityTriggerCase, CommunityTriggerCase.case_id == Case.id)  # type: ignore[arg-type]
        .where(Case.id.in_(case_ids))  # type: ignore[union-attr]
    )
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        met = (r.threshold_assessment or {}).get("met")
        out[r.id] = {
            "application_on": r.application_on.isoformat(),
            "hate_incident": "yes" if r.hate_incident else "no",
            "threshold_decision": r.threshold_decision,
            "threshold_met": None if met is None else ("yes" if met else "no"),
            "review_meeting_on": r.review_meeting_on.isoformat() if r.review_meeting_on else None,
            "closure_reason": r.closure_reason,
        }
    return out
