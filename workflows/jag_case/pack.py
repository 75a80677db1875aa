"""The papers for a JAG meeting: sent once by the chair, they freeze into the pack, one
accessible HTML document and the same as a tagged PDF (engine/pdf.py). Attendees read it
signed in, by its link: the pack never goes by e-mail. It holds the agenda with its time
slots, then for each case its summary, risk, action plan and what changed since the last
meeting. The standing repeat-victims item names nobody in the pack (Victim 1, 2, 3): the
chair speaks to the names in the room.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined
from sqlmodel import Session, col, select

from engine.access import Actor
from engine.clock import LONDON, Clock
from engine.letters import long_date
from engine.models import AuditEvent
from engine.pdf import Pdf, html_blocks
from workflows.jag_case import agenda, agenda_items, meetings
from workflows.jag_case.definition import JAG_CASE, STATE_LABELS
from workflows.jag_case.meeting_area import KIND_LABELS
from workflows.jag_case.meeting_models import JagAgendaItem, JagMeeting, JagMeetingPack
from workflows.jag_case.models import JagAction, JagCase, JagRiskAssessment

FOOTER = "JAG papers"


@cache
def _env() -> Environment:
    folder = resources.files("workflows.jag_case").joinpath("templates")
    env = Environment(
        loader=FunctionLoader(lambda name: folder.joinpath(name).read_text("utf-8")),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    return env


def send_papers(session: Session, *, clock: Clock, actor: Actor, meeting_id: int) -> JagMeeting:
    """The chair sends the papers: the agenda locks, the pack is made and kept, and each
    agenda case's reminder closes (met, or late after the papers date). One transaction."""
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    if meeting.status != "planned":
        from engine.errors import InvalidTransition

        raise InvalidTransition("The papers for this meeting have already been sent.")
    try:
        html = render_html(session, meeting, clock)
        session.add(
            JagMeetingPack(
                meeting_id=meeting_id, html=html, pdf=render_pdf(meeting, html), made_at=clock.now()
            )
        )
        meeting.status = "papers_sent"
        meeting.papers_sent_at, meeting.papers_sent_by = clock.now(), actor.user_id
        session.add(meeting)
        agenda_items.close_reminders(session, clock, meeting)
        _tell_attendees(session, clock, meeting)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return meeting


PAPERS_READY = "jag_papers_ready"
# Who is told the papers are ready: the locality's JAG staff (partner agencies' officers,
# the point of contact, the chairs). A link to the pack; never the pack itself.
ATTENDEE_ROLES = ("partner", "contact", "jag_chair")


def _tell_attendees(session: Session, clock: Clock, meeting: JagMeeting) -> None:
    from sqlalchemy import or_

    from engine import registry
    from engine.messages import queue_message
    from engine.models import RoleGrant, User

    area = registry.area(meeting.area_id)
    people = session.exec(
        select(User.id, User.email)
        .join(RoleGrant, col(RoleGrant.user_id) == User.id)
        .where(
            RoleGrant.area_id == meeting.area_id,
            or_(
                col(RoleGrant.locality_id).is_(None),
                RoleGrant.locality_id == meeting.locality_id,
            ),
            col(RoleGrant.role).in_(ATTENDEE_ROLES),
            col(User.active).is_(True),
        )
        .distinct()
        .order_by(col(User.id))
    ).all()
    context = {
        "locality": area.localities[meeting.locality_id].name,
        "meeting_date": meeting.held_on.isoformat(),
        "starts_at": meeting.starts_at,
        "pack_url": f"{area.service_url.rstrip('/')}/staff/jag/meetings/{meeting.id}/pack",
    }
    for user_id, email in people:
        queue_message(
            session,
            case_id=None,
            message=PAPERS_READY,
            recipient=email,
            recipient_role="jag_attendee",
            channel="email",
            context=context,
            idempotency_key=f"jag-papers:{meeting.id}:{user_id}",
            now=clock.now(),
        )


def stored(session: Session, actor: Actor, meeting_id: int) -> JagMeetingPack:
    """The pack as sent, for anyone who may read the meeting."""
    from engine.errors import NotFound

    meetings.load(session, actor, meeting_id)
    pack = session.get(JagMeetingPack, meeting_id)
    if pack is None:
        raise NotFound("The papers for this meeting have not been sent yet.")
    return pack


def title(meeting: JagMeeting) -> str:
    return f"JAG meeting, {long_date(meeting.held_on)}"


def render_pdf(meeting: JagMeeting, html: str) -> bytes:
    doc = Pdf(f"{meeting.locality_id} {meeting.held_on.isoformat()}", "JAG papers", footer=FOOTER)
    doc.blocks(html_blocks(html))
    return doc.finish()


def render_html(session: Session, meeting: JagMeeting, clock: Clock) -> str:
    return str(_env().get_template("meeting_pack.html").render(**context(session, meeting, clock)))


def context(session: Session, meeting: JagMeeting, clock: Clock) -> dict[str, Any]:
    from engine import registry

    rows = agenda.items(session, meeting.id)  # type: ignore[arg-type]
    before = agenda.previous_meeting(session, meeting)
    since = datetime.combine(before.held_on, time(0), tzinfo=LONDON) if before is not None else None
    case_ids = [r.case_id for r in rows if r.case_id is not None]
    locality = registry.area(meeting.area_id).localities[meeting.locality_id].name
    return {
        "meeting": meeting,
        "locality": locality,
        "title": title(meeting),
        "items": timed(meeting, rows, agenda.named(session, rows)),
        "timing": agenda.timing(meeting, rows),
        "kind_labels": KIND_LABELS,
        "cases": _cases(session, case_ids, since),
        "recommendations": _recommendations(session, case_ids),
        "since": before.held_on if before is not None else None,
        "victims": agenda.repeat_victims(session, meeting, show_names=False),
        "made_on": clock.today(),
    }


def timed(
    meeting: JagMeeting, rows: list[JagAgendaItem], titles: dict[int, str]
) -> list[dict[str, Any]]:
    """Each item with its number, start time (from the meeting's start) and title."""
    hours, mins = (int(x) for x in meeting.starts_at.split(":"))
    start = hours * 60 + mins
    out = []
    for n, r in enumerate(rows, start=1):
        out.append(
            {
                "n": n,
                "row": r,
                "title": titles.get(r.id, r.title),  # type: ignore[arg-type]
                "starts": f"{(start // 60) % 24:02d}:{start % 60:02d}",
                "minutes": r.slot_minutes,
            }
        )
        start += r.slot_minutes
    return out


def _recommendations(session: Session, case_ids: list[int]) -> dict[int, list[Any]]:
    """The recommendations of the Community Trigger cases on the agenda, in order."""
    from engine.models import Recommendation

    found: dict[int, list[Any]] = {}
    if not case_ids:
        return found
    for r in session.exec(
        select(Recommendation)
        .where(col(Recommendation.case_id).in_(case_ids))
        .order_by(col(Recommendation.case_id), col(Recommendation.seq))
    ).all():
        found.setdefault(r.case_id, []).append(r)
    return found


def _cases(session: Session, case_ids: list[int], since: datetime | None) -> dict[int, Any]:
    """Summary, latest risk, plan and changes since the last meeting of each agenda case,
    read in a few set queries."""
    if not case_ids:
        return {}
    from engine.models import Case

    labels = agenda.subject_labels(session, case_ids)
    found: dict[int, Any] = {}
    for case, jag in session.exec(
        select(Case, JagCase)
        .join(JagCase, col(JagCase.case_id) == Case.id)
        .where(col(Case.id).in_(case_ids))
    ).all():
        found[case.id] = {
            "reference": case.reference,
            "subject": labels.get(case.id, ""),
            "kind": jag.subject_kind,
            "state": STATE_LABELS.get(case.state, case.state),  # type: ignore[call-overload]
            "reason": jag.referral_reason,
            "review_on": jag.review_on,
            "risk": None,
            "actions": [],
            "changes": [],
        }
    for r in session.exec(
        select(JagRiskAssessment)
        .where(col(JagRiskAssessment.case_id).in_(case_ids))
        .order_by(col(JagRiskAssessment.case_id), col(JagRiskAssessment.seq))
    ).all():
        if r.case_id in found:
            found[r.case_id]["risk"] = r  # the last one, by seq, wins
    for a in session.exec(
        select(JagAction)
        .where(col(JagAction.case_id).in_(case_ids), JagAction.status != "cancelled")
        .order_by(col(JagAction.case_id), col(JagAction.seq))
    ).all():
        if a.case_id in found:
            found[a.case_id]["actions"].append(a)
    labels_of = {t.trigger: t.label for t in JAG_CASE.transitions}
    labels_of["refer"] = "Referred"
    changes = select(AuditEvent).where(col(AuditEvent.case_id).in_(case_ids))
    if since is not None:
        changes = changes.where(col(AuditEvent.occurred_at) >= since)
    for e in session.exec(changes.order_by(col(AuditEvent.case_id), col(AuditEvent.version))):
        if e.case_id in found:
            found[e.case_id]["changes"].append(
                {
                    "on": e.occurred_at.astimezone(LONDON).date(),
                    "what": labels_of.get(e.trigger, e.trigger),
                    "by": e.actor_label,
                }
            )
    return found
