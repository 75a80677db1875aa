"""The applicant's private status page: their case as a timeline in plain words.

It shows what the applicant was told or will be told, never staff names, attendees,
other people's details or equalities answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from engine import registry
from engine.clock import Clock, london_date
from engine.errors import NotFound
from engine.models import AuditEvent, Case, Deadline, Recommendation
from engine.services.intake import hash_token
from engine.services.public_info import locality_timescales
from engine.threshold import format_date

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
}
INVOLVEMENT = {
    "attend": "You chose to attend the meeting.",
    "representative": "You chose to send someone to the meeting for you.",
    "impact_statement": "You chose to send a written statement about the impact on you.",
    "none": "You chose not to take part in the meeting.",
}
RECOMMENDATION_STATUS = {
    "open": "not started yet",
    "accepted": "agreed, action to follow",
    "declined": "not taken forward",
    "done": "done",
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


# How long a status link keeps working after its case closes (Settings.status_link_days).
STATUS_LINK_DAYS = 90


def case_status(
    session: Session, *, token: str, clock: Clock, link_days: int = STATUS_LINK_DAYS
) -> CaseStatus:
    """The case behind a private status link, as the applicant may see it.

    A link is a bearer secret: it stops working `link_days` after the case closes, so an
    old e-mail or browser history does not open the case for good.
    """
    case = session.exec(select(Case).where(Case.status_token_hash == hash_token(token))).first()
    if case is None or _link_expired(case, clock, link_days):
        raise NotFound("There is no case at this address.")
    area = registry.area(case.area_id)
    events = _rows(session, AuditEvent, case, AuditEvent.version)
    recs = _rows(session, Recommendation, case, Recommendation.seq)
    entries = tuple(e for a, key in _told_apart(events) if (e := _entry(a, recs, key)) is not None)
    deadlines = _rows(session, Deadline, case, Deadline.due_on)
    expected = tuple(
        Entry(f"{EXPECTED[d.name]} {'until' if d.kind == 'window' else 'by'}", d.due_on, False)
        for d in deadlines
        if d.status == "open" and d.name in EXPECTED
    )
    expected = _with_meeting(case, expected)
    locality = area.localities.get(case.locality_id)
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
    )


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


def _entry(a: AuditEvent, recs: list[Recommendation], key: str | None = None) -> Entry | None:
    on, data = london_date(a.occurred_at), a.data or {}
    builder = _BUILDERS.get(key or a.trigger)
    if builder is None:
        return None  # staff bookkeeping, or an event this page does not describe
    title, lines, items = builder(data, recs)
    if a.trigger == "review_meeting_held" and data.get("held_on"):
        on = date.fromisoformat(data["held_on"])
    return Entry(title, on, True, lines, items)


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
    items = tuple(
        f"{r.recipient_body}: {r.action} ({RECOMMENDATION_STATUS.get(r.status, r.status)}"
        + (f", due {format_date(r.due_on)}" if r.due_on else "")
        + ")"
        for r in recs
    )
    return "We sent you the outcome of the case review", _text(data, "summary"), items


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
    "appeal_lodged": _simple("We received your appeal"),
    "appeal_papers_sent": _simple("Your appeal went to an independent chair"),
    "appeal_upheld": _with(
        "Your appeal was upheld", "reasons", "The review group will look at your case again."
    ),
    "appeal_not_upheld": _with("Your appeal was not upheld", "reasons", "This decision is final."),
    "monitoring_started": _simple("We are checking that the recommendations are carried out"),
    "case_closed": _closed,
    "withdrawn": _with("Your application was withdrawn", "reason"),
}
