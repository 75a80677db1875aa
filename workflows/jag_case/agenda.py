"""A JAG meeting's agenda from live data: which cases go on it, why, in which order and with
how many minutes each (the area's slot defaults), plus the standing items.

An item about a case keeps the case's reference as its title; pages and the pack add the
subject's name as recorded when they are read (`named`).

Order (unless the chair reorders): new referrals; high-risk victims; cases due for review;
cases with overdue actions; actions carried over from the last meeting; Community Trigger
reviews and their recommendations; the top repeat domestic-abuse victims (standing); any
other business (standing). A case is listed once, under the first kind that brings it, with
every reason that does. The reads are a handful of set queries over the locality's open
cases (bench/agenda.py holds them to a ceiling), never one query per case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


def _open_cases(area_id: str, locality_id: str) -> tuple[Any, ...]:
    """The conditions on case_record that make a case an open JAG case of the locality."""
    return (
        Case.area_id == area_id,
        Case.locality_id == locality_id,
        Case.workflow_name == JAG_CASE.name,
        col(Case.state).in_([s.value for s in OPEN_STATES]),
    )


def open_case_ids_query(area_id: str, locality_id: str) -> Any:
    """The one query that reads the ids of a locality's open JAG cases (the bench's unit)."""
    return select(Case.id).where(*_open_cases(area_id, locality_id))


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

    working = {s.value for s in WORKING}
    # One pass over the cases something brings up; the sort below puts each kind in place.
    for case_id, ref, state, band, review_on, flagged, why in _flagged(session, meeting):
        if state == "referred":
            add("new_referral", case_id, ref, "New referral")
        elif state in working:
            if band == "high" or flagged:
                add("high_risk", case_id, ref, why or "High risk")
            if review_on and review_on <= held:
                add("due_review", case_id, ref, f"Review due {format_date(review_on)}")
    for case_id, ref, count in _overdue_actions(session, meeting):
        word = "action" if count == 1 else "actions"
        add("overdue_actions", case_id, ref, f"{count} overdue {word}")
    before = previous_meeting(session, meeting)
    if before is not None:
        since = format_date(before.held_on)
        for case_id, ref, seq, agency, due in _carried(session, meeting, before.id):
            add(
                "carried_actions",
                case_id,
                ref,
                f"Action {seq} ({agency}, due {format_date(due)}) carried over from the "
                f"meeting of {since}",
            )
    for case_id, reference, reason in _community_trigger(session, meeting):
        add("community_trigger", case_id, reference, reason)
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


def _flagged(session: Session, meeting: JagMeeting) -> list[Any]:
    """The locality's open JAG cases that are new, high risk or due for review."""
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
        .where(
            *_open_cases(meeting.area_id, meeting.locality_id),
            or_(
                Case.state == "referred",
                JagCase.risk_band == "high",
                col(JagCase.agenda_flagged_on).is_not(None),
                col(JagCase.review_on) <= meeting.held_on,
            ),
        )
        .order_by(col(Case.id))
    )
    return list(session.connection().execute(stmt).all())


def _overdue_actions(session: Session, meeting: JagMeeting) -> list[Any]:
    stmt = (
        select(Case.id, Case.reference, func.count())
        .select_from(JagAction)
        .join(Case, col(Case.id) == JagAction.case_id)
        .where(
            *_open_cases(meeting.area_id, meeting.locality_id),
            col(JagAction.status).in_(PENDING_ACTION),
            JagAction.due_on < meeting.held_on,
        )
        .group_by(col(Case.id), col(Case.reference))
        .order_by(col(Case.id))
    )
    return list(session.connection().execute(stmt).all())


def _carried(session: Session, meeting: JagMeeting, before_id: int) -> list[Any]:
    """Actions the last meeting set that are not done (or cancelled) yet, on open cases."""
    stmt = (
        select(
            JagAction.case_id,
            Case.reference,
            JagAction.seq,
            JagAction.agency,
            JagAction.due_on,
        )
        .join(
            JagMinuteAction,
            and_(
                col(JagMinuteAction.case_id) == JagAction.case_id,
                col(JagMinuteAction.seq) == JagAction.seq,
            ),
        )
        .join(Case, col(Case.id) == JagAction.case_id)
        .where(
            JagMinuteAction.meeting_id == before_id,
            col(JagAction.status).in_(PENDING_ACTION),
            *_open_cases(meeting.area_id, meeting.locality_id),
        )
        .order_by(col(JagAction.case_id), col(JagAction.seq))
    )
    return list(session.connection().execute(stmt).all())


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
    for case_id, reference, state in session.connection().execute(stmt).all():
        why = "Review" if state in CT_REVIEW_STATES else "Recommendations to follow up"
        out.append((case_id, reference, f"Community Trigger: {why.lower()}"))
    return out


def subject_labels(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Each case's first subject in words: a person's name or a place's label (read in
    chunks of ids, under every driver's parameter limit)."""
    labels: dict[int, str] = {}
    for start in range(0, len(case_ids), LABEL_CHUNK):
        stmt = (
            select(CaseSubject.case_id, Person.name, Place.label)
            .outerjoin(Person, col(Person.id) == CaseSubject.person_id)
            .outerjoin(Place, col(Place.id) == CaseSubject.place_id)
            .where(col(CaseSubject.case_id).in_(case_ids[start : start + LABEL_CHUNK]))
            .order_by(col(CaseSubject.case_id), col(CaseSubject.id))
        )
        for case_id, name, label in session.connection().execute(stmt).all():
            labels.setdefault(case_id, name or label or "")
    return labels


LABEL_CHUNK = 1000


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


def named(session: Session, rows: list[JagAgendaItem]) -> dict[int, str]:
    """Each item's title with its case's subject as recorded now (a person's name or a
    place), by item id: the agenda row keeps the reference, the name is read live."""
    labels = subject_labels(session, [r.case_id for r in rows if r.case_id is not None])
    return {
        r.id: f"{r.title}: {labels[r.case_id]}"
        if r.case_id in labels and labels[r.case_id]
        else r.title
        for r in rows
        if r.id is not None
    }


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
