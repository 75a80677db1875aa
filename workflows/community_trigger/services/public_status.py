"""The applicant's private status page: their case as a timeline in plain words.

It shows what the applicant was told or will be told, never staff names, attendees,
other people's details or equalities answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from engine import case_detail, letters, registry
from engine.case_detail import CaseWithDetail
from engine.clock import Clock, london_date
from engine.errors import NotFound
from engine.models import AuditEvent, Case, Deadline, Recommendation
from engine.services.public_info import locality_timescales
from engine.threshold import format_date
from workflows.community_trigger.letters import APPEAL_GROUNDS
from workflows.community_trigger.services.intake import hash_token, normal_code

REJECTION_GROUNDS = {
    "prejudicial": "prejudicial",
    "discriminatory": "discriminatory",
    "malicious": "malicious",
    "unreasonable": "unreasonable",
    "vexatious": "vexatious",
    "frivolous": "frivolous",
}
CLOSURE_REASONS = {
    "resolved": "the problem has been resolved",
    "no_further_incidents": "there have been no further incidents",
    "victim_agrees": "you agreed the case could close",
    "transferred": "the case has moved to another process that can help you better",
    "victim_moved": "you have moved away from the area",
    "duplicate": "it duplicated another application",
    "appeal_window_passed": "the time to appeal has passed",
    "withdrawn": "the application was withdrawn",
    "appeal_not_upheld": "the appeal was not upheld",
    "final_response": "the review is finished and its response is final",
}
# Where to go after a final decision (LLR procedure: the appeal decision is final).
SIGNPOST = (
    "If you are unhappy with how your case was handled, you can ask the Local Government "
    "and Social Care Ombudsman to look at it, or ask the Police and Crime Commissioner's "
    "office to look at how the police dealt with it."
)
INVOLVEMENT = {
    "attend": "You chose to attend the meeting.",
    "representative": "You chose to send someone to the meeting for you.",
    "impact_statement": "You chose to send a written statement about the impact on you.",
    "none": "You chose not to take part in the meeting.",
}
RECOMMENDATION_STATUS = {
    "open": "not started yet",
    "accepted": "agreed, action to follow",
    "declined": "considered, and not taken forward",
    "done": "done",
    "withdrawn": "withdrawn after your appeal",
}
# Open deadlines the applicant is told about: what will happen, by when.
EXPECTED = {
    "acknowledgement": "We will acknowledge your application",
    "threshold_decision": "We will tell you whether the threshold for a case review is met",
    "review_outcome": "We will send you the outcome of the case review",
    "appeal_window": "You can appeal",
    "appeal_papers": "We will send your appeal to an independent chair",
    "appeal_decision": "We will tell you the decision on your appeal",
}


# The review meeting, once arranged and until it is held.
REVIEW_BEING_ARRANGED = "review_scheduled"
MEETING_EXPECTED = "The case review meeting will be held on"
# How this page tells a re-arranged meeting apart from the first arrangement.
MEETING_MOVED = "review_meeting_arranged:moved"


@dataclass(frozen=True)
class Entry:
    title: str
    on: date | None
    done: bool
    lines: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseStatus:
    reference: str
    locality: str
    closed: bool
    entries: tuple[Entry, ...]
    expected: tuple[Entry, ...] = field(default_factory=tuple)
    later: tuple[str, ...] = field(default_factory=tuple)  # steps not yet started
    # Said with the reference, it finds this page again (/status) or checks a phone caller.
    code: str = ""
    # How to reach the named contact's team (engine.letters.sender): never a staff name.
    sender: dict[str, Any] | None = None
    # While an appeal window is open: how to appeal, and the grounds.
    appeal_grounds: tuple[str, ...] = ()
    # Once a decision is final (an appeal not upheld, or the case closed): where to go next.
    signposting: tuple[str, ...] = ()


# How long a status link keeps working after its case closes (Settings.status_link_days).
STATUS_LINK_DAYS = 90


def case_status(
    session: Session, *, token: str, clock: Clock, link_days: int = STATUS_LINK_DAYS
) -> CaseStatus:
    """The case behind a private status link, as the applicant may see it.

    A link is a bearer secret: it stops working `link_days` after the case closes, so an
    old e-mail or browser history does not open the case for good.
    """
    case = _by_token(session, hash_token(token))
    if case is None or _link_expired(case, clock, link_days):
        raise NotFound("There is no case at this address.")
    return _status(session, case, clock)


def case_status_by_code(session: Session, *, reference: str, code: str, clock: Clock) -> CaseStatus:
    """The case with this reference, if `code` is its status code (as typed or read out).

    One answer for a wrong reference and a wrong code, so neither can be found alone.
    """
    case = find_by_code(session, reference=reference, code=code)
    if case is None:
        raise NotFound("There is no case with that reference and code.")
    return _status(session, case, clock)


def find_by_code(session: Session, *, reference: str, code: str) -> Case | None:
    """The case whose reference and status code these are, or None."""
    ref = reference.strip().upper()
    case = case_detail.load(session, ref)
    wanted = normal_code(code)
    if case is None or not case.status_code or not wanted:
        return None
    return case if secrets.compare_digest(case.status_code, wanted) else None


def _by_token(session: Session, token_hash: str) -> CaseWithDetail | None:
    """The case whose status link this is (any workflow whose cases have such links)."""
    for package in registry.packages().values():
        model = package.detail_model
        if model is None or "status_token_hash" not in model.model_fields:
            continue
        found = session.exec(
            select(Case, model)
            .join(model, model.case_id == Case.id)
            .where(model.status_token_hash == token_hash)
        ).first()
        if found is not None:
            return CaseWithDetail(found[0], found[1])
    return None


def _status(session: Session, case: Case, clock: Clock) -> CaseStatus:
    area = registry.area(case.area_id)
    events = _rows(session, AuditEvent, case, AuditEvent.version)
    recs = _rows(session, Recommendation, case, Recommendation.seq)
    today = clock.today()
    held = _held_on(events)
    entries = tuple(
        e for a, key in _told_apart(events) if (e := _entry(a, recs, key, held)) is not None
    )
    deadlines = _rows(session, Deadline, case, Deadline.due_on)
    entries = _with_windows_ended(entries, deadlines, today)
    expected = tuple(
        Entry(f"{EXPECTED[d.name]} {'until' if d.kind == 'window' else 'by'}", d.due_on, False)
        for d in deadlines
        if d.status == "open" and d.name in EXPECTED and not _ended(d, today)
    )
    expected = _with_meeting(case, expected)
    locality = area.localities.get(case.locality_id)
    appeal_open = any(d.status == "open" and d.name == "appeal_window" for d in deadlines)
    return CaseStatus(
        reference=case.reference,
        locality=locality.name if locality else case.locality_id,
        closed=case.closed_at is not None,
        entries=entries,
        expected=expected,
        later=tuple(
            s.text
            for s in locality_timescales(case.area_id, case.locality_id).steps
            if s.name not in {d.name for d in deadlines}
        ),
        code=case.status_code or "",
        signposting=tuple(area.signposting.values())
        if case.closed_at is not None or any(a.trigger == "appeal_not_upheld" for a in events)
        else (),
        sender=letters.sender(area, case.locality_id),
        appeal_grounds=tuple(
            APPEAL_GROUNDS.get(g, g.replace("_", " ")) for g in area.appeal_grounds
        )
        if appeal_open
        else (),
    )


def _ended(d: Deadline, today: date) -> bool:
    """A window (the time to appeal) whose last day has gone, or that lapsed."""
    return d.kind == "window" and (d.status == "lapsed" or d.due_on < today)


def _with_windows_ended(
    entries: tuple[Entry, ...], deadlines: list[Deadline], today: date
) -> tuple[Entry, ...]:
    """Once the time to appeal has passed the page says so, in date order."""
    ended = tuple(
        Entry("The time to appeal ended", d.due_on, True)
        for d in deadlines
        if d.name == "appeal_window" and _ended(d, today)
    )
    if not ended:
        return entries
    return tuple(sorted((*entries, *ended), key=lambda e: e.on or date.min))


def _held_on(events: list[AuditEvent]) -> date | None:
    """The day the review meeting was last recorded as held: the one true meeting date."""
    days = [a.data.get("held_on") for a in events if a.trigger == "review_meeting_held"]
    return date.fromisoformat(days[-1]) if days and days[-1] else None


def _link_expired(case: Case, clock: Clock, link_days: int) -> bool:
    return case.closed_at is not None and clock.now() >= case.closed_at + timedelta(days=link_days)


def _with_meeting(case: Case, expected: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """The arranged review meeting, in date order among what happens next, until it is held."""
    if case.review_meeting_on is None or case.state != REVIEW_BEING_ARRANGED:
        return expected
    meeting = Entry(MEETING_EXPECTED, case.review_meeting_on, False)
    return tuple(sorted((*expected, meeting), key=lambda e: e.on or case.review_meeting_on))


def _told_apart(events: list[AuditEvent]) -> list[tuple[AuditEvent, str]]:
    """Each event with the key of its builder: a re-arranged meeting is told apart from
    the first arrangement."""
    out, arranged = [], False
    for a in events:
        key = a.trigger
        if key == "review_meeting_arranged":
            key, arranged = (MEETING_MOVED if arranged else key), True
        out.append((a, key))
    return out


def _rows(session: Session, table: Any, case: Case, order: Any) -> list[Any]:
    query = select(table).where(table.case_id == case.id).order_by(col(order), col(table.id))
    return list(session.exec(query).all())


def _text(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    return (str(value),) if value else ()


def _entry(
    a: AuditEvent, recs: list[Recommendation], key: str | None = None, held: date | None = None
) -> Entry | None:
    on, data = london_date(a.occurred_at), a.data or {}
    builder = _BUILDERS.get(key or a.trigger)
    if builder is None:
        return None  # staff bookkeeping, or an event this page does not describe
    built = builder(data, recs)
    if built is None:
        return None  # e.g. a recommendation marked accepted: not yet news
    title, lines, items = built
    if a.trigger == "review_meeting_held" and data.get("held_on"):
        on = date.fromisoformat(data["held_on"])
        lines = (f"It was held on {format_date(on)}.", *lines)
    if a.trigger == "review_meeting_arranged" and held is not None:
        # Once held, the meeting has one date (the day it was held), never two.
        lines = tuple(line for line in lines if not line.startswith("It was set for"))
    if a.trigger in THRESHOLD_DECISIONS:
        lines = (*lines, _decided_where(data))
    if a.trigger == "response_issued" and a.to_state != "response_issued":
        lines = (*lines, "This response is final: it cannot be appealed.", SIGNPOST)
    return Entry(title, on, True, lines, items)


THRESHOLD_DECISIONS = ("threshold_met", "threshold_not_met", "application_rejected")


def _decided_where(data: dict[str, Any]) -> str:
    """Where the decision was taken, without naming anyone."""
    if data.get("jag_meeting_on"):
        day = format_date(date.fromisoformat(data["jag_meeting_on"]))
        return f"The partner agencies decided this at their Joint Action Group meeting on {day}."
    return (
        "The chair of the Joint Action Group decided this between meetings, as the local "
        "procedure allows, and will report it to the group's next meeting."
    )


Built = tuple[str, tuple[str, ...], tuple[str, ...]]


def _simple(title: str, *extra: str) -> Any:
    def build(data: dict[str, Any], _recs: list[Recommendation]) -> Built:
        return title, extra, ()

    return build


def _with(title: str, key: str, *extra: str) -> Any:
    def build(data: dict[str, Any], _recs: list[Recommendation]) -> Built:
        # Only the reasons written for the applicant; an override reason is for the file.
        return title, _text(data, key) + extra, ()

    return build


def _rejected(data: dict[str, Any], _recs: list[Recommendation]) -> Built:
    ground = REJECTION_GROUNDS.get(str(data.get("ground")), "not one we can accept")
    lines = (f"The application was judged to be {ground}.", *_text(data, "reasons"))
    return "We could not accept your application", lines, ()


def _arranged(title: str) -> Any:
    def build(data: dict[str, Any], _recs: list[Recommendation]) -> Built:
        # The date and the victim's own part only: never who else was invited.
        lines = []
        if data.get("meeting_date"):
            held = format_date(date.fromisoformat(data["meeting_date"]))
            lines.append(f"It was set for {held}.")
        choice = INVOLVEMENT.get(str(data.get("victim_involvement")), "")
        if choice and data.get("victim_involvement") != "none":
            lines.append(choice)
        return title, tuple(lines), ()

    return build


def _meeting(data: dict[str, Any], _recs: list[Recommendation]) -> Built:
    choice = INVOLVEMENT.get(str(data.get("victim_involvement")), "")
    return "The case review meeting was held", (choice,) if choice else (), ()


def _outcome(data: dict[str, Any], recs: list[Recommendation]) -> Built:
    items = tuple(_recommendation_line(r) for r in recs if r.issued_at is not None)
    return "We sent you the outcome of the case review", _text(data, "summary"), items


def _recommendation_line(r: Recommendation) -> str:
    """One recommendation as it stands: done, declined with the reason, withdrawn with why."""
    status = RECOMMENDATION_STATUS.get(r.status, r.status)
    if r.status == "withdrawn" and r.change_reason:
        status += f": {r.change_reason}"
    elif r.status in ("done", "declined") and r.note:
        status += f": {r.note}"
    elif r.status != "withdrawn" and r.change_reason:
        status += f"; changed after your appeal: {r.change_reason}"
    due = f", due {format_date(r.due_on)}" if r.due_on and r.status not in ("done",) else ""
    return f"{r.recipient_body}: {r.action} ({status}{due})"


def _recommendation_update(data: dict[str, Any], recs: list[Recommendation]) -> Built | None:
    """A recommendation done or declined is news to the applicant; other steps are not."""
    rec = next((r for r in recs if r.seq == data.get("recommendation")), None)
    if rec is None or data.get("status") not in ("done", "declined"):
        return None
    if data["status"] == "done":
        return f"A recommendation was done: {rec.recipient_body}", _text(data, "note"), ()
    lines = (
        f"{rec.recipient_body} considered it and decided not to do it.",
        *(f"Their reason: {n}" for n in _text(data, "note")),
    )
    return f"A recommendation will not go ahead: {rec.recipient_body}", lines, ()


def _appeal(data: dict[str, Any], _recs: list[Recommendation]) -> Built:
    lines: tuple[str, ...] = ()
    if data.get("late_reason"):
        lines = (
            "It reached us after the time to appeal had ended, and we accepted it.",
            f"Why we accepted it: {data['late_reason']}",
        )
    return "We received your appeal", lines, ()


def _closed(data: dict[str, Any], _recs: list[Recommendation]) -> Built:
    reason = CLOSURE_REASONS.get(str(data.get("closure_reason")), "")
    lines = ((f"It closed because {reason}.",) if reason else ()) + _text(data, "explanation")
    return "Your case is closed", lines, ()


_BUILDERS = {
    "submit": _simple("We received your application"),
    "acknowledge": _simple("We acknowledged your application"),
    "threshold_met": _with(
        "The threshold for a case review is met", "reasons", "A case review will be held."
    ),
    "threshold_not_met": _with("The threshold for a case review is not met", "reasons"),
    "application_rejected": _rejected,
    "review_meeting_arranged": _arranged("The case review meeting was arranged"),
    MEETING_MOVED: _arranged("The date of the case review meeting changed"),
    "review_meeting_held": _meeting,
    "jag_report_recorded": _simple(
        "The review is finished",
        "The chair of the Community Safety Partnership is preparing the response to you.",
    ),
    "response_issued": _outcome,
    "appeal_lodged": _appeal,
    "recommendation_updated": _recommendation_update,
    "appeal_papers_sent": _simple("Your appeal went to an independent chair"),
    "appeal_upheld": _with(
        "Your appeal was upheld", "reasons", "The review group will look at your case again."
    ),
    "appeal_not_upheld": _with(
        "Your appeal was not upheld", "reasons", "This decision is final.", SIGNPOST
    ),
    "monitoring_started": _simple("We are checking that the recommendations are carried out"),
    "case_closed": _closed,
    "withdrawn": _with("Your application was withdrawn", "reason"),
}
