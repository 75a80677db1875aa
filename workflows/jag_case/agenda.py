"""A JAG meeting's agenda from live data: which cases go on it, why, in which order and with
how many minutes each (the area's slot defaults), plus the standing items.

Order (unless the chair reorders): new referrals; high-risk victims; cases due for review;
cases with overdue actions; actions carried over from the last meeting; Community Trigger
reviews and their recommendations; the top repeat domestic-abuse victims (standing); any
other business (standing). A case is listed once, under the first kind that brings it, with
every reason that does. The reads are a handful of set queries over the locality's open
cases (bench/agenda.py holds them to a ceiling), never one query per case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from engine.models import Case, CaseSubject, Person, Place, Recommendation
from engine.threshold import format_date
from workflows.jag_case.definition import JAG_CASE, OPEN_STATES, WORKING
from workflows.jag_case.meeting_area import ITEM_KINDS, KIND_LABELS, meetings_area
from workflows.jag_case.meeting_models import (
    JagAgendaItem,
    JagDomesticAbuse,
    JagMeeting,
    JagMinuteAction,
)
from workflows.jag_case.models import JagAction, JagCase

PENDING_ACTION = ("open", "in_progress")
# Community Trigger cases the JAG reviews, and those whose recommendations it follows.
CT_WORKFLOW = "community_trigger"
CT_REVIEW_STATES = ("review_scheduled", "under_review", "response_drafted")
CT_LIVE_RECOMMENDATION = ("open", "accepted")
STANDING = ("repeat_victims", "other_business")
ORDER = {kind: i for i, kind in enumerate(ITEM_KINDS)}


@dataclass
class Proposed:
    kind: str
    title: str
    reasons: list[str] = field(default_factory=list)
    case_id: int | None = None

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)[:500]


def previous_meeting(session: Session, meeting: JagMeeting) -> JagMeeting | None:
    return session.exec(
        select(JagMeeting)
        .where(
            JagMeeting.area_id == meeting.area_id,
            JagMeeting.locality_id == meeting.locality_id,
            JagMeeting.held_on < meeting.held_on,
        )
        .order_by(col(JagMeeting.held_on).desc(), col(JagMeeting.id).desc())
    ).first()


def open_case_ids_query(area_id: str, locality_id: str) -> Any:
    """The one query that reads the ids of a locality's open JAG cases (the bench's unit)."""
    return select(Case.id).where(
        Case.area_id == area_id,
        Case.locality_id == locality_id,
        Case.workflow_name == JAG_CASE.name,
        col(Case.state).in_([s.value for s in OPEN_STATES]),
    )


def propose(session: Session, meeting: JagMeeting) -> list[Proposed]:
    """Every item the live data puts on this meeting's agenda, in the standard order."""
    held = meeting.held_on
    found: dict[int, Proposed] = {}
    order: list[Proposed] = []

    def add(kind: str, case_id: int, reference: str, reason: str) -> None:
        item = found.get(case_id)
        if item is None:
            item = found[case_id] = Proposed(kind, reference, [], case_id)
            order.append(item)
        item.reasons.append(reason)

    jag = _open_jag_cases(session, meeting)
    working = {s.value for s in WORKING}
    for row in jag:
        if row.state == "referred":
            add("new_referral", row.id, row.reference, "New referral")
    for row in jag:
        if row.state in working and (row.risk_band == "high" or row.agenda_flagged_on):
            add("high_risk", row.id, row.reference, row.agenda_reason or "High risk")
    for row in jag:
        if row.state in working and row.review_on and row.review_on <= held:
            add("due_review", row.id, row.reference, f"Review due {format_date(row.review_on)}")
    refs = {row.id: row.reference for row in jag}
    for case_id, count in _overdue_actions(session, meeting):
        if case_id in refs:
            word = "action" if count == 1 else "actions"
            add("overdue_actions", case_id, refs[case_id], f"{count} overdue {word}")
    before = previous_meeting(session, meeting)
    if before is not None:
        for case_id, seq, agency, due in _carried(session, before.id):
            if case_id in refs:
                add(
                    "carried_actions",
                    case_id,
                    refs[case_id],
                    f"Action {seq} ({agency}, due {format_date(due)}) carried over from the "
                    f"meeting of {format_date(before.held_on)}",
                )
    for case_id, reference, reason in _community_trigger(session, meeting):
        add("community_trigger", case_id, reference, reason)
    _name_subjects(session, order)
    order.sort(key=lambda p: ORDER[p.kind])  # stable: within a kind, the query's order
    victims = meetings_area(meeting.area_id).repeat_victims
    order.append(
        Proposed(
            "repeat_victims",
            f"Top {victims} repeat domestic-abuse victims",
            ["Standing item"],
        )
    )
    order.append(Proposed("other_business", KIND_LABELS["other_business"], ["Standing item"]))
    return order


def _open_jag_cases(session: Session, meeting: JagMeeting) -> list[Any]:
    ids = open_case_ids_query(meeting.area_id, meeting.locality_id).subquery()
    stmt = (
        select(
            Case.id,
            Case.reference,
            Case.state,
            JagCase.risk_band,
            JagCase.review_on,
            JagCase.agenda_flagged_on,
            JagCase.agenda_reason,
        )
        .join(JagCase, col(JagCase.case_id) == Case.id)
        .where(col(Case.id).in_(select(ids.c.id)))
        .order_by(col(Case.id))
    )
    return list(session.exec(stmt).all())


def _overdue_actions(session: Session, meeting: JagMeeting) -> list[tuple[int, int]]:
    ids = open_case_ids_query(meeting.area_id, meeting.locality_id)
    stmt = (
        select(JagAction.case_id, func.count())
        .where(
            col(JagAction.case_id).in_(ids),
            col(JagAction.status).in_(PENDING_ACTION),
            JagAction.due_on < meeting.held_on,
        )
        .group_by(col(JagAction.case_id))
        .order_by(col(JagAction.case_id))
    )
    return [(int(a), int(b)) for a, b in session.exec(stmt).all()]


def _carried(session: Session, meeting_id: int) -> list[tuple[int, int, str, date]]:
    """Actions the last meeting set that are not done (or cancelled) yet."""
    stmt = (
        select(JagAction.case_id, JagAction.seq, JagAction.agency, JagAction.due_on)
        .join(
            JagMinuteAction,
            and_(
                col(JagMinuteAction.case_id) == JagAction.case_id,
                col(JagMinuteAction.seq) == JagAction.seq,
            ),
        )
        .where(
            JagMinuteAction.meeting_id == meeting_id,
            col(JagAction.status).in_(PENDING_ACTION),
        )
        .order_by(col(JagAction.case_id), col(JagAction.seq))
    )
    return list(session.exec(stmt).all())


def _community_trigger(session: Session, meeting: JagMeeting) -> list[tuple[int, str, str]]:
    """The locality's Community Trigger cases under review, and those with recommendations
    still open (the JAG follows them up)."""
    live_recs = (
        select(Recommendation.case_id)
        .where(col(Recommendation.status).in_(CT_LIVE_RECOMMENDATION))
        .where(col(Recommendation.issued_at).is_not(None))
    )
    stmt = (
        select(Case.id, Case.reference, Case.state)
        .where(
            Case.area_id == meeting.area_id,
            Case.locality_id == meeting.locality_id,
            Case.workflow_name == CT_WORKFLOW,
            col(Case.closed_at).is_(None),
            or_(col(Case.state).in_(CT_REVIEW_STATES), col(Case.id).in_(live_recs)),
        )
        .order_by(col(Case.id))
    )
    out = []
    for case_id, reference, state in session.exec(stmt).all():
        why = "Review" if state in CT_REVIEW_STATES else "Recommendations to follow up"
        out.append((case_id, reference, f"Community Trigger: {why.lower()}"))
    return out


def subject_labels(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Each case's first subject in words: a person's name or a place's label."""
    if not case_ids:
        return {}
    stmt = (
        select(CaseSubject.case_id, Person.name, Place.label)
        .outerjoin(Person, col(Person.id) == CaseSubject.person_id)
        .outerjoin(Place, col(Place.id) == CaseSubject.place_id)
        .where(col(CaseSubject.case_id).in_(case_ids))
        .order_by(col(CaseSubject.case_id), col(CaseSubject.id))
    )
    labels: dict[int, str] = {}
    for case_id, name, label in session.exec(stmt).all():
        labels.setdefault(case_id, name or label or "")
    return labels


def _name_subjects(session: Session, items: list[Proposed]) -> None:
    labels = subject_labels(session, [p.case_id for p in items if p.case_id is not None])
    for p in items:
        if p.case_id is not None and labels.get(p.case_id):
            p.title = f"{p.title}: {labels[p.case_id]}"[:300]


def repeat_victims(
    session: Session, meeting: JagMeeting, *, show_names: bool
) -> list[dict[str, Any]]:
    """The locality's open victim cases flagged as domestic abuse, most repeats first (the
    standing item). Names and references only for those allowed; others see Victim 1, 2, 3."""
    limit = meetings_area(meeting.area_id).repeat_victims
    ids = open_case_ids_query(meeting.area_id, meeting.locality_id)
    stmt = (
        select(JagDomesticAbuse.case_id, JagDomesticAbuse.repeat_count, Case.reference)
        .join(Case, col(Case.id) == JagDomesticAbuse.case_id)
        .join(JagCase, col(JagCase.case_id) == JagDomesticAbuse.case_id)
        .where(col(JagDomesticAbuse.case_id).in_(ids), JagCase.subject_kind == "victim")
        .order_by(col(JagDomesticAbuse.repeat_count).desc(), col(JagDomesticAbuse.case_id))
        .limit(limit)
    )
    rows = list(session.exec(stmt).all())
    names = subject_labels(session, [r[0] for r in rows]) if show_names else {}
    return [
        {
            "rank": i,
            "label": names.get(case_id, "") if show_names else f"Victim {i}",
            "reference": reference if show_names else None,
            "repeat_count": count,
        }
        for i, (case_id, count, reference) in enumerate(rows, start=1)
    ]


def items(session: Session, meeting_id: int, *, dropped: bool = False) -> list[JagAgendaItem]:
    stmt = select(JagAgendaItem).where(JagAgendaItem.meeting_id == meeting_id)
    if not dropped:
        stmt = stmt.where(col(JagAgendaItem.dropped).is_(False))
    return list(session.exec(stmt.order_by(col(JagAgendaItem.position))).all())


def timing(meeting: JagMeeting, rows: list[JagAgendaItem]) -> dict[str, Any]:
    """Each item's start (minutes from the meeting's start) and the total against its length."""
    total = sum(r.slot_minutes for r in rows)
    return {
        "total": total,
        "length": meeting.length_minutes,
        "over_by": max(0, total - meeting.length_minutes),
        "spare": max(0, meeting.length_minutes - total),
    }
