"""What the JAG case page shows (services.case_view): referral, people and places, risk
history, action plan, OSARA, ladder, peer reviews, links and timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from engine import machine, registry
from engine.access import Actor, case_roles, require_case_access
from engine.clock import Clock
from engine.models import AuditEvent, Case, CaseSubject, Deadline, Recommendation, User
from workflows.jag_case import people
from workflows.jag_case.area import JagArea, jag_area
from workflows.jag_case.models import (
    JagAction,
    JagActionNote,
    JagCase,
    JagLadderStep,
    JagOsara,
    JagPeerReview,
    JagRiskAssessment,
)

RESOLVED = ("done", "cancelled")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def build_view(session: Session, case: Case, actor: Actor, clock: Clock) -> dict[str, Any]:
    roles = case_roles(session, actor, case)
    require_case_access(actor, roles, case.reference, area_id=case.area_id)
    wf, area = registry.workflow(case.workflow_name), jag_area(case.area_id)
    row = session.get(JagCase, case.id)
    if row is None:
        raise LookupError(f"case {case.reference} has no JAG record")
    today = clock.today()
    subjects = people.subjects_of(session, case.id)  # type: ignore[arg-type]
    options = machine.event_options(session, case=case, actor=actor, today=today)
    return {
        "reference": case.reference,
        "state": case.state,
        "state_label": wf.state_labels.get(case.state, case.state),
        "version": case.version,
        "locality": case.locality_id,
        "area": case.area_id,
        "roles": sorted(roles),
        "referral": _referral(session, case, row),
        "subjects": subjects,
        "risk": _risk(session, case, area),
        "actions": _actions(session, case, today),
        "osara": _osara(session, case),
        "ladder": _ladder(session, subjects, area),
        "peer_reviews": _peer_reviews(session, case),
        "linked": _linked(session, actor, row),
        "other_cases": _other_cases(session, actor, case, subjects),
        "deadlines": _deadlines(session, case, today),
        "events": [o.trigger for o in options if o.ok],
        "unavailable_events": [
            {"event": o.trigger, "reason": o.reason} for o in options if not o.ok
        ],
        "cessation_reasons": dict(area.cessation_reasons),
        "timeline": _timeline(session, case, wf),
    }


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.name if user else None


def _referral(session: Session, case: Case, row: JagCase) -> dict[str, Any]:
    return {
        "subject_kind": row.subject_kind,
        "reason": row.referral_reason,
        "agencies": list(row.agencies),
        "referred_by": _name(session, row.referred_by),
        "referred_at": case.submitted_at.isoformat(),
        "decline_reason": row.decline_reason,
        "review_on": _iso(row.review_on),
        "risk_band": row.risk_band,
        "on_next_agenda": row.agenda_flagged_on is not None,
        "agenda_flagged_on": _iso(row.agenda_flagged_on),
        "agenda_reason": row.agenda_reason,
        "cessation_reason": row.cessation_reason,
        "cessation_note": row.cessation_note,
        "ceased_by": _name(session, row.ceased_by),
        "kept_open_reason": row.kept_open_reason,
    }


def _risk(session: Session, case: Case, area: JagArea) -> list[dict[str, Any]]:
    """Every assessment, newest first, each answer with its question's words."""
    texts = {q.id: q.text for q in area.questions}
    rows = session.exec(
        select(JagRiskAssessment)
        .where(JagRiskAssessment.case_id == case.id)
        .order_by(col(JagRiskAssessment.seq).desc())
    ).all()
    return [
        {
            "seq": r.seq,
            "score": r.score,
            "band": r.band,
            "repeat_victim": r.repeat_victim,
            "vulnerable": r.vulnerable,
            "reassess_on": r.reassess_on.isoformat(),
            "assessed_at": r.assessed_at.isoformat(),
            "assessed_by": _name(session, r.assessed_by),
            "notes": r.notes,
            "answers": [
                {"question": key, "text": texts.get(key, key), "yes": bool(value)}
                for key, value in r.answers.items()
            ],
        }
        for r in rows
    ]


def _actions(session: Session, case: Case, today: Any) -> list[dict[str, Any]]:
    rows = session.exec(
        select(JagAction).where(JagAction.case_id == case.id).order_by(col(JagAction.seq))
    ).all()
    notes: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for n in session.exec(
            select(JagActionNote)
            .where(col(JagActionNote.action_id).in_([a.id for a in rows]))
            .order_by(col(JagActionNote.id))
        ).all():
            notes.setdefault(n.action_id, []).append(
                {
                    "status": n.status,
                    "note": n.note,
                    "written_at": n.written_at.isoformat(),
                    "written_by": _name(session, n.written_by),
                }
            )
    recs = _recommendation_seqs(session, [a.recommendation_id for a in rows])
    return [
        {
            "seq": a.seq,
            "action": a.action,
            "owner": a.owner,
            "agency": a.agency,
            "due_on": a.due_on.isoformat(),
            "status": a.status,
            "overdue": a.status not in RESOLVED and a.due_on < today,
            "completed_on": _iso(a.completed_on),
            "recommendation": recs.get(a.recommendation_id) if a.recommendation_id else None,
            "notes": notes.get(a.id, []),  # type: ignore[arg-type]
        }
        for a in rows
    ]


def _recommendation_seqs(session: Session, ids: list[int | None]) -> dict[int, int]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.exec(
        select(Recommendation.id, Recommendation.seq).where(col(Recommendation.id).in_(wanted))
    ).all()
    return {int(i): seq for i, seq in rows if i is not None}


def _osara(session: Session, case: Case) -> dict[str, Any] | None:
    row = session.exec(select(JagOsara).where(JagOsara.case_id == case.id)).first()
    if row is None:
        return None
    parts = ("objective", "scanning", "analysis", "response", "assessment")
    return {
        **{p: getattr(row, p) for p in parts},
        "updated_at": row.updated_at.isoformat(),
        "updated_by": _name(session, row.updated_by),
    }


def _ladder(session: Session, subjects: list[dict[str, Any]], area: JagArea) -> list[dict]:
    """Per perpetrator on the case: each stage of the area's ladder, reached (on any of their
    cases), skipped with a reason, or not yet reached."""
    out = []
    for s in subjects:
        if s["part"] != "perpetrator":
            continue
        steps = session.exec(
            select(JagLadderStep, Case.reference)
            .join(Case, col(Case.id) == JagLadderStep.case_id)
            .where(JagLadderStep.person_id == s["person"])
            .order_by(col(JagLadderStep.taken_on), col(JagLadderStep.id))
        ).all()
        reached = {st.stage: (st, ref) for st, ref in steps}
        skipped = {k: st for st, _ in steps for k in st.skipped if k not in reached}
        known = [x for x in reached if x in area.stage_ids()]
        top = max((area.stage_index(x) for x in known), default=-1)
        stages = []
        for stage in area.ladder:
            entry: dict[str, Any] = {
                "stage": stage.id,
                "label": stage.label,
                "status": "not_reached",
            }
            if stage.id in reached:
                st, ref = reached[stage.id]
                entry.update(
                    status="reached", taken_on=st.taken_on.isoformat(), agency=st.agency, case=ref
                )
            elif stage.id in skipped:
                entry.update(status="skipped", reason=skipped[stage.id].skip_reason)
            stages.append(entry)
        current = area.ladder[top].label if top >= 0 else None
        out.append({"person": s["person"], "name": s["name"], "current": current, "stages": stages})
    return out


def _peer_reviews(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.exec(
        select(JagPeerReview)
        .where(JagPeerReview.case_id == case.id)
        .order_by(col(JagPeerReview.id))
    ).all()
    return [
        {
            "reviewer": _name(session, r.reviewer_user_id),
            "requested_by": _name(session, r.requested_by),
            "requested_at": r.requested_at.isoformat(),
            "question": r.question,
            "due_on": r.due_on.isoformat(),
            "findings": r.findings,
            "recommendations": r.recommendations,
            "recorded_at": _iso(r.recorded_at),
        }
        for r in rows
    ]


def _linked(session: Session, actor: Actor, row: JagCase) -> dict[str, Any] | None:
    """The Community Trigger case this one came from, and its recommendation, for a reader
    who may open that case (others see that there is a link, not to what)."""
    if row.linked_case_id is None:
        return None
    ct = session.get(Case, row.linked_case_id)
    if ct is None or not case_roles(session, actor, ct):
        return {"visible": False}
    rec = None
    if row.linked_recommendation_seq is not None:
        found = session.exec(
            select(Recommendation).where(
                Recommendation.case_id == ct.id, Recommendation.seq == row.linked_recommendation_seq
            )
        ).first()
        if found is not None:
            rec = {
                "seq": found.seq,
                "recipient_body": found.recipient_body,
                "action": found.action,
                "status": found.status,
                "due_on": _iso(found.due_on),
            }
    return {"visible": True, "reference": ct.reference, "state": ct.state, "recommendation": rec}


def _other_cases(
    session: Session, actor: Actor, case: Case, subjects: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every other case about the same people and places that the reader may open: a
    repeat victim, perpetrator or place shows from each of their cases."""
    persons = [s["person"] for s in subjects if "person" in s]
    places = [s["place"] for s in subjects if "place" in s]
    if not persons and not places:
        return []
    rows = session.exec(
        select(CaseSubject, Case)
        .join(Case, col(Case.id) == CaseSubject.case_id)
        .where(
            CaseSubject.case_id != case.id,
            or_(col(CaseSubject.person_id).in_(persons), col(CaseSubject.place_id).in_(places)),
        )
        .order_by(col(Case.submitted_at).desc(), col(Case.id).desc())
    ).all()
    out, seen = [], set()
    for link, other in rows:
        key = (other.id, link.person_id, link.place_id)
        if key in seen or not case_roles(session, actor, other):
            continue
        seen.add(key)
        out.append(
            {
                "reference": other.reference,
                "workflow": other.workflow_name,
                "state": other.state,
                "part": link.part,
                "person": link.person_id,
                "place": link.place_id,
            }
        )
    return out


def _deadlines(session: Session, case: Case, today: Any) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Deadline)
        .where(Deadline.case_id == case.id, Deadline.status == "open")
        .order_by(col(Deadline.due_on))
    ).all()
    return [
        {
            "name": d.name,
            "label": d.label,
            "subject": d.subject,
            "due_on": d.due_on.isoformat(),
            "owner_role": d.owner_role,
            "overdue": d.due_on < today,
        }
        for d in rows
    ]


def _timeline(session: Session, case: Case, wf: Any) -> list[dict[str, Any]]:
    labels = {t.trigger: t.label for t in wf.transitions} | {wf.start_trigger: "Referred"}
    rows = session.exec(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id)
        .order_by(col(AuditEvent.version).desc())
    ).all()
    return [
        {
            "event": a.trigger,
            "label": labels.get(a.trigger, a.trigger),
            "at": a.occurred_at.isoformat(),
            "by": a.actor_label,
            "from": a.from_state,
            "to": a.to_state,
            "reason": a.reason,
            "data": a.data,
        }
        for a in rows
    ]
