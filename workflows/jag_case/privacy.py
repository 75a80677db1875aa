"""A JAG case's personal data under the retention schedule and in the subject access export
(WorkflowPackage.anonymise and .subject_access; the engine's retention service and export
call them for a JAG case).

Anonymising keeps every row: the free text (the referral's detail row is the package's
`detail_model`; here the risk notes and answers, actions and their notes, the problem-solving
record, the ladder's reasons, peer reviews, the minutes about the case and its part of the
meeting packs) is replaced or cleared, and the dates, statuses, bands, scores, stages and
agencies stay, so the dashboard's action completion and the meetings' counts are unchanged.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape
from sqlalchemy import update
from sqlmodel import Session, col, select

from engine.models import Case, Deadline, User
from workflows.jag_case import agenda, people
from workflows.jag_case.area import jag_area
from workflows.jag_case.meeting_models import (
    JagAgendaItem,
    JagMeeting,
    JagMeetingPack,
    JagMinute,
    JagMinuteCorrection,
)
from workflows.jag_case.models import (
    JagAction,
    JagActionNote,
    JagCase,
    JagLadderStep,
    JagOsara,
    JagPeerReview,
    JagRiskAssessment,
)

OSARA_PARTS = ("objective", "scanning", "analysis", "response", "assessment")
# Free text shorter than this is not searched for in a meeting pack (it could be a word of
# another case's text): the pack's case section is rebuilt from the scrubbed rows instead.
PACK_MIN_TEXT = 4


def _run(session: Session, statement: Any) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def anonymise(
    session: Session,
    case_id: int,
    *,
    removed: str,
) -> dict[str, int]:
    """Overwrite the case's free text in every JAG table (the referral itself is done by
    JagCase.anonymised_values, after this); returns the rows changed per table."""
    texts = _pack_texts(session, case_id)  # read before they go: the packs are cut by them
    counts = {
        "jag_risk_assessments": _run(
            session,
            update(JagRiskAssessment)
            .where(col(JagRiskAssessment.case_id) == case_id)
            # The answers say what is wrong in the victim's life; the score and band stay.
            .values(notes=None, answers={}),
        ),
        "jag_actions": _run(
            session,
            update(JagAction)
            .where(col(JagAction.case_id) == case_id)
            .values(action=removed, owner=removed),
        ),
        "jag_action_notes": _run(
            session,
            update(JagActionNote)
            .where(col(JagActionNote.action_id).in_(_action_ids(case_id)))
            .values(note=removed),
        ),
        "jag_osara": _scrub_osara(session, case_id, removed),
        "jag_ladder_steps": _run(
            session,
            update(JagLadderStep)
            .where(
                col(JagLadderStep.case_id) == case_id, col(JagLadderStep.skip_reason).is_not(None)
            )
            .values(skip_reason=removed),
        ),
        "jag_peer_reviews": _scrub_peer_reviews(session, case_id, removed),
        "jag_minutes": _scrub_minutes(session, case_id, removed),
        "jag_action_clocks": _relabel_action_clocks(session, case_id),
    }
    counts["jag_meeting_packs"] = _scrub_packs(session, case_id, texts, removed)
    return counts


def _action_ids(case_id: int) -> Any:
    return select(JagAction.id).where(JagAction.case_id == case_id)


def _scrub_osara(session: Session, case_id: int, removed: str) -> int:
    row = session.exec(select(JagOsara).where(JagOsara.case_id == case_id)).first()
    if row is None:
        return 0
    for part in OSARA_PARTS:
        if getattr(row, part):
            setattr(row, part, removed)
    session.add(row)
    return 1


def _scrub_peer_reviews(session: Session, case_id: int, removed: str) -> int:
    rows = session.exec(select(JagPeerReview).where(JagPeerReview.case_id == case_id)).all()
    for r in rows:
        r.question = removed
        r.findings = removed if r.findings else None
        r.recommendations = removed if r.recommendations else None
        session.add(r)
    return len(rows)


def _case_items(case_id: int) -> Any:
    return select(JagAgendaItem.id).where(JagAgendaItem.case_id == case_id)


def _scrub_minutes(session: Session, case_id: int, removed: str) -> int:
    """The decisions on items about the case and corrections to them; its agenda items'
    titles become the case's reference (what the agenda proposes them as)."""
    reference = session.exec(select(Case.reference).where(Case.id == case_id)).one()
    _run(
        session,
        update(JagAgendaItem).where(col(JagAgendaItem.case_id) == case_id).values(title=reference),
    )
    minutes = session.exec(
        select(JagMinute).where(col(JagMinute.item_id).in_(_case_items(case_id)))
    ).all()
    for m in minutes:
        m.decision = removed
        m.risk_change = removed if m.risk_change else None
        session.add(m)
    corrected = _run(
        session,
        update(JagMinuteCorrection)
        .where(col(JagMinuteCorrection.item_id).in_(_case_items(case_id)))
        .values(text=removed),
    )
    return len(minutes) + corrected


def _relabel_action_clocks(session: Session, case_id: int) -> int:
    """An action's clock is labelled with its words: it keeps its number and agency (the
    dashboard's completion counts read the clocks' dates and statuses, which stay)."""
    count = 0
    for seq, agency in session.exec(
        select(JagAction.seq, JagAction.agency).where(JagAction.case_id == case_id)
    ).all():
        count += _run(
            session,
            update(Deadline)
            .where(col(Deadline.case_id) == case_id, col(Deadline.subject) == f"action:{seq}")
            .values(label=f"Action {seq}: {agency}"[:200]),
        )
    return count


def _pack_texts(session: Session, case_id: int) -> list[str]:
    """Every piece of the case's free text a meeting pack may have printed, longest first."""
    texts: set[str] = set()
    detail = session.get(JagCase, case_id)
    if detail is not None:
        texts.add(detail.referral_reason)
    # The papers name a case by its first subject only (agenda.subject_labels); another
    # person on it may be on a live case in the same papers, under their own name.
    texts.add(agenda.subject_labels(session, [case_id]).get(case_id, ""))
    for action, owner in session.exec(
        select(JagAction.action, JagAction.owner).where(JagAction.case_id == case_id)
    ).all():
        texts.update((action, owner))
    for title in session.exec(
        select(JagAgendaItem.title).where(JagAgendaItem.case_id == case_id)
    ).all():
        texts.add(title)
    reference = session.exec(select(Case.reference).where(Case.id == case_id)).one()
    texts.discard(reference)
    return sorted((t for t in texts if len(t.strip()) >= PACK_MIN_TEXT), key=len, reverse=True)


def _scrub_packs(session: Session, case_id: int, texts: list[str], removed: str) -> int:
    """The papers of each meeting the case was on lose the case's words (its subject, the
    referral, its actions); the rest of the papers, about other cases, stay as sent. The
    PDF is made again from the cut HTML."""
    from workflows.jag_case.pack import render_pdf

    meeting_ids = select(JagAgendaItem.meeting_id).where(JagAgendaItem.case_id == case_id)
    count = 0
    for pack, meeting in session.exec(
        select(JagMeetingPack, JagMeeting)
        .join(JagMeeting, col(JagMeeting.id) == JagMeetingPack.meeting_id)
        .where(col(JagMeetingPack.meeting_id).in_(meeting_ids))
    ).all():
        html = pack.html
        for text in texts:
            html = html.replace(str(escape(text)), str(escape(removed)))
        if html != pack.html:
            pack.html, pack.pdf = html, render_pdf(meeting, html)
            session.add(pack)
            count += 1
    return count


# --- the subject access export ---------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(wanted))).all()
    return {int(i): n for i, n in rows if i is not None}


def subject_access(session: Session, case: Any) -> dict[str, Any]:
    """What the JAG tables hold about the case's people, for the subject access export."""
    detail = session.get(JagCase, case.id)
    area = jag_area(case.area_id)
    questions = {q.id: q.text for q in area.questions}
    stages = {s.id: s.label for s in area.ladder}
    risks = session.exec(
        select(JagRiskAssessment)
        .where(JagRiskAssessment.case_id == case.id)
        .order_by(col(JagRiskAssessment.seq))
    ).all()
    actions = session.exec(
        select(JagAction).where(JagAction.case_id == case.id).order_by(col(JagAction.seq))
    ).all()
    notes: dict[int, list[JagActionNote]] = {}
    for note in session.exec(
        select(JagActionNote)
        .where(col(JagActionNote.action_id).in_(_action_ids(case.id)))
        .order_by(col(JagActionNote.id))
    ).all():
        notes.setdefault(note.action_id, []).append(note)
    steps = session.exec(
        select(JagLadderStep)
        .where(JagLadderStep.case_id == case.id)
        .order_by(col(JagLadderStep.taken_on), col(JagLadderStep.id))
    ).all()
    reviews = session.exec(
        select(JagPeerReview)
        .where(JagPeerReview.case_id == case.id)
        .order_by(col(JagPeerReview.id))
    ).all()
    osara = session.exec(select(JagOsara).where(JagOsara.case_id == case.id)).first()
    named = {s["person"]: s["name"] for s in people.subjects_of(session, case.id) if "person" in s}
    staff = _names(session, {r.reviewer_user_id for r in reviews})
    held = {
        "referral": _referral(detail, area.cessation_reasons),
        "risk_assessments": [
            {
                "number": r.seq,
                "victim": named.get(r.person_id) if r.person_id else None,
                "answers": {
                    questions.get(k, k): "Yes" if v else "No" for k, v in r.answers.items()
                },
                "score": r.score,
                "band": r.band,
                "repeat_victim": r.repeat_victim,
                "vulnerable": r.vulnerable,
                "notes": r.notes,
                "assessed_at": _iso(r.assessed_at),
                "reassess_on": _iso(r.reassess_on),
            }
            for r in risks
        ],
        "actions": [
            {
                "number": a.seq,
                "action": a.action,
                "owner": a.owner,
                "agency": a.agency,
                "due_on": _iso(a.due_on),
                "status": a.status,
                "completed_on": _iso(a.completed_on),
                "updates": [
                    {"written_at": _iso(n.written_at), "status": n.status, "note": n.note}
                    for n in notes.get(a.id, [])  # type: ignore[arg-type]
                ],
            }
            for a in actions
        ],
        "problem_solving": (
            {**{p: getattr(osara, p) for p in OSARA_PARTS}, "updated_at": _iso(osara.updated_at)}
            if osara is not None
            else None
        ),
        "incremental_approach": [
            {
                "person": named.get(s.person_id),
                "stage": stages.get(s.stage, s.stage),
                "taken_on": _iso(s.taken_on),
                "agency": s.agency,
                "stages_skipped": [stages.get(x, x) for x in s.skipped],
                "why_skipped": s.skip_reason,
            }
            for s in steps
        ],
        "peer_reviews": [
            {
                "reviewer": staff.get(r.reviewer_user_id),
                "asked_at": _iso(r.requested_at),
                "question": r.question,
                "due_on": _iso(r.due_on),
                "findings": r.findings,
                "recommendations": r.recommendations,
                "recorded_at": _iso(r.recorded_at),
            }
            for r in reviews
        ],
        "meeting_minutes": _minutes(session, case.id),
    }
    return {"held": held, "sources": _sources(session, case, detail)}


def _referral(detail: JagCase | None, reasons: dict[str, str]) -> dict[str, Any]:
    if detail is None:
        return {}
    return {
        "about_a": detail.subject_kind,
        "reason_for_referral": detail.referral_reason,
        "agencies": list(detail.agencies),
        "declined_because": detail.decline_reason,
        "risk_band": detail.risk_band,
        "next_review_on": _iso(detail.review_on),
        "why_on_the_agenda": detail.agenda_reason,
        "kept_open_because": detail.kept_open_reason,
        "ceased_because": reasons.get(detail.cessation_reason or "", detail.cessation_reason),
        "cessation_note": detail.cessation_note,
    }


def _minutes(session: Session, case_id: int) -> list[dict[str, Any]]:
    """What each meeting decided on items about the case, with corrections to them."""
    corrections: dict[int, list[str]] = {}
    for item_id, text in session.exec(
        select(JagMinuteCorrection.item_id, JagMinuteCorrection.text)
        .where(col(JagMinuteCorrection.item_id).in_(_case_items(case_id)))
        .order_by(col(JagMinuteCorrection.id))
    ).all():
        corrections.setdefault(int(item_id), []).append(text)  # type: ignore[arg-type]
    rows = session.exec(
        select(JagMinute, JagAgendaItem, JagMeeting)
        .join(JagAgendaItem, col(JagAgendaItem.id) == JagMinute.item_id)
        .join(JagMeeting, col(JagMeeting.id) == JagMinute.meeting_id)
        .where(JagAgendaItem.case_id == case_id)
        .order_by(col(JagMeeting.held_on), col(JagAgendaItem.position))
    ).all()
    return [
        {
            "meeting_on": _iso(meeting.held_on),
            "item": item.title,
            "decision": minute.decision,
            "risk_change": minute.risk_change,
            "cessation": minute.cessation,
            "corrections": corrections.get(int(item.id), []),  # type: ignore[arg-type]
        }
        for minute, item, meeting in rows
    ]


def _sources(session: Session, case: Any, detail: JagCase | None) -> list[str]:
    by = _names(session, {detail.referred_by if detail else None})
    who = f" by {next(iter(by.values()))}" if by else ""
    out = [f"The referral{who} to the JAG, received on {case.submitted_at.date().isoformat()}."]
    out.append(
        "Risk assessments, actions, the problem-solving record and the Incremental Approach "
        "steps recorded by the JAG's partner agencies; the JAG meetings' minutes."
    )
    return out
