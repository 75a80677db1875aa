"""The retention schedule applied: personal details anonymised when each area's period ends,
the figures kept countable, legal holds respected, every change audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, SQLModel, col, select

from engine import case_detail, registry
from engine.access import Actor
from engine.clock import Clock
from engine.errors import InvalidInput
from engine.models import (
    AuditEvent,
    Case,
    CaseRetention,
    CaseSearchTerm,
    CaseSubject,
    Document,
    FormSession,
    Incident,
    OutboxMessage,
    Party,
    Person,
    Place,
    PrivacyEvent,
    Recommendation,
    Report,
    ReportAudit,
)
from engine.services.case_views import require_case_manager

REMOVED = "[removed under the retention schedule]"
ANONYMISED = "Anonymised"
MAX_REASON = 1000
# Strings kept in audit and message data: codes (snake_case) and ISO dates, never free text.
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}|\d{4}-\d{2}-\d{2}([T ][0-9:.+Z-]*)?")


# --- legal holds ---------------------------------------------------------------------------


def set_hold(session: Session, *, reference: str, actor: Actor, clock: Clock, reason: str) -> None:
    """Put a legal hold on a case (a manager, with a reason): retention leaves it alone."""
    _change_hold(session, reference=reference, actor=actor, clock=clock, reason=reason, on=True)


def clear_hold(
    session: Session, *, reference: str, actor: Actor, clock: Clock, reason: str
) -> None:
    """Lift a case's legal hold (a manager, with a reason)."""
    _change_hold(session, reference=reference, actor=actor, clock=clock, reason=reason, on=False)


def _change_hold(
    session: Session, *, reference: str, actor: Actor, clock: Clock, reason: str, on: bool
) -> None:
    text = (reason or "").strip()
    if not text:
        what = "putting the case on hold" if on else "lifting the hold"
        raise InvalidInput(f"Enter the reason for {what}", field="reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"The reason must be {MAX_REASON} characters or fewer", field="reason")
    try:
        case = require_case_manager(session, reference=reference, actor=actor)
        kept = session.get(CaseRetention, case.id, with_for_update=True)
        if kept is None:
            kept = CaseRetention(case_id=case.id)  # type: ignore[arg-type]
        if on == (kept.hold_reason is not None):
            state = "already on hold" if on else "not on hold"
            raise InvalidInput(f"This case is {state}", field="reason")
        now = clock.now()
        kept.hold_reason, kept.hold_by, kept.hold_at = (
            (text, actor.user_id, now) if on else (None, None, None)
        )
        session.add(kept)
        session.add(
            PrivacyEvent(
                case_id=case.id,
                occurred_at=now,
                actor_user_id=actor.user_id,
                actor_label=actor.label,
                action="legal_hold_set" if on else "legal_hold_cleared",
                reason=text,
            )
        )
        session.commit()
    except Exception:
        session.rollback()
        raise


# --- the schedule --------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionRun:
    cases: int = 0
    held: int = 0  # due, but on a legal hold
    complaints: int = 0
    saved_answers: int = 0
    imported: int = 0  # reports imported from Sentinel


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def apply_schedule(session: Session, *, clock: Clock) -> RetentionRun:
    """Everything whose period has ended, for every area: one case per transaction, so a
    failure part way leaves each case either done and audited or untouched."""
    now = clock.now()
    cases = held = complaints = imported = 0
    for area_id in registry.area_ids():
        # One case period per area for every workflow's cases: a case is due that many
        # years after its closure (`closed_at`, which each workflow's closing events set);
        # an area file has no period per workflow, so each uses the area's.
        rules = registry.area(area_id).retention
        due, on_hold = _cases_due(
            session, area_id, years_before(now, rules.case_years_after_closure)
        )
        held += on_hold
        for case_id in due:
            anonymise_case(session, case_id=case_id, clock=clock)
            cases += 1
        register_before = months_before(clock.today(), rules.complaint_register_months)
        complaints += _anonymise_complaints(session, area_id, register_before, clock)
        imported += _anonymise_imports(session, area_id, register_before, clock)
    saved = _delete_saved_answers(session, clock)
    return RetentionRun(cases, held, complaints, saved, imported)


def _cases_due(session: Session, area_id: str, closed_before: datetime) -> tuple[list[int], int]:
    rows = session.exec(
        select(Case.id, CaseRetention.hold_reason)
        .outerjoin(CaseRetention, CaseRetention.case_id == Case.id)  # type: ignore[arg-type]
        .where(
            Case.area_id == area_id,
            col(Case.closed_at).is_not(None),
            col(Case.closed_at) <= closed_before,
            # Done cases drop out here, so the hourly run does not reread years of them.
            col(CaseRetention.anonymised_at).is_(None),
        )
        .order_by(Case.id)  # type: ignore[arg-type]
    ).all()
    session.commit()
    return [r[0] for r in rows if r[1] is None], sum(1 for r in rows if r[1] is not None)


def anonymise_case(session: Session, *, case_id: int, clock: Clock) -> None:
    """Remove the personal details of one closed case, keeping what is counted: state,
    dates, locality, channel, outcome, reports' agencies and dates, recommendations' bodies
    and status. Refused (left alone) if a legal hold was put on it meanwhile."""
    now = clock.now()
    try:
        kept = session.get(CaseRetention, case_id, with_for_update=True)
        if kept is not None and (kept.hold_reason is not None or kept.anonymised_at is not None):
            session.rollback()
            return
        counts = _scrub_case(session, case_id, now)
        kept = kept or CaseRetention(case_id=case_id)
        kept.anonymised_at = now
        session.add(kept)
        session.add(
            PrivacyEvent(
                case_id=case_id,
                occurred_at=now,
                actor_label="retention schedule",
                action="case_anonymised",
                data=counts,
            )
        )
        session.commit()
    except Exception:
        session.rollback()
        raise


def _scrub_case(session: Session, case_id: int, now: datetime) -> dict[str, int]:
    def run(statement: Any) -> int:
        return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    counts = {
        "parties": _anonymise_parties(session, case_id),
        "incidents": run(
            update(Incident)
            .where(col(Incident.case_id) == case_id)
            .values(description=REMOVED, place=None)
        ),
        "reports": run(
            update(Report)
            .where(col(Report.case_id) == case_id)
            .values(officer=None, reference=None, complainant_key="anonymised")
        ),
        "recommendations": run(
            update(Recommendation)
            .where(col(Recommendation.case_id) == case_id)
            .values(action=REMOVED, owner=None, note=None)
        ),
    }
    case = session.get(Case, case_id)
    assert case is not None  # a case due comes from case_record
    package = registry.package(case.workflow_name)
    if package.anonymise is not None:
        # The workflow's other tables (WorkflowPackage.anonymise): free text and names,
        # never the dates, statuses and counts the figures read. First, while the detail
        # row and the people it may quote are still whole.
        session.flush()
        done = package.anonymise(session, case_id, removed=REMOVED)
        counts.update({str(k): int(v) for k, v in done.items()})
    counts["subjects"] = _anonymise_subjects(session, case, now)
    # The words it was found by (names, places, postcodes) go: it is found by reference.
    counts["search_terms"] = run(
        delete(CaseSearchTerm).where(col(CaseSearchTerm.case_id) == case_id)
    )
    model = case_detail.detail_model(case.workflow_name)
    if model is not None:
        # The workflow's detail row loses what it holds about people (its own list).
        session.execute(
            update(model).where(model.case_id == case_id).values(**model.anonymised_values())
        )
    counts["audit_events"] = _scrub_audit(session, case_id)
    counts["messages"] = _scrub_messages(session, case_id)
    counts["documents"] = _replace_documents(session, case_id, now)
    return counts


def _district(postcode: str | None) -> str | None:
    """A postcode's district ("LE1"): counted, and names no household."""
    return postcode.split()[0][:4] if postcode and postcode.strip() else None


def _still_needed(session: Session, kind: str, record_id: int, case_id: int) -> bool:
    """Whether a person or place is on a case other than this one that keeps its details
    (open, or closed but not yet anonymised, or held), or on a report not yet anonymised."""
    column = col(CaseSubject.person_id) if kind == "person" else col(CaseSubject.place_id)
    other = session.exec(
        select(CaseSubject.id)
        .outerjoin(CaseRetention, CaseRetention.case_id == CaseSubject.case_id)  # type: ignore[arg-type]
        .where(
            column == record_id,
            CaseSubject.case_id != case_id,
            col(CaseRetention.anonymised_at).is_(None),
        )
    ).first()
    if other is not None or kind != "person":
        return other is not None
    report = session.exec(
        select(Report.id).where(
            Report.person_id == record_id, col(Report.complainant_key) != "anonymised"
        )
    ).first()
    return report is not None


def _anonymise_subjects(session: Session, case: Case, now: datetime) -> int:
    """The people and places the case is about (the area's shared records). One on no
    other case that keeps its details is anonymised where it stands; one still needed (a
    live case, a held one) keeps its details there, and this case's links to it (in every
    table) move to a new anonymous record, so the old case no longer names them. Returns
    how many were anonymised or unlinked."""
    links = session.exec(select(CaseSubject).where(CaseSubject.case_id == case.id)).all()
    found = {("person", s.person_id) for s in links if s.person_id is not None}
    found |= {("place", s.place_id) for s in links if s.place_id is not None}
    for kind, record_id in sorted(found):
        model: Any = Person if kind == "person" else Place
        if _still_needed(session, kind, record_id, case.id):  # type: ignore[arg-type]
            new = _anonymous_record(session, model, case, record_id, now)
            for table, column in _links_to(model.__tablename__):
                session.execute(
                    update(table)
                    .where(table.c.case_id == case.id, column == record_id)
                    .values({column.name: new})
                )
        else:
            _anonymise_record(session, session.get(model, record_id))
    session.flush()
    session.expire_all()  # links moved by statement: read them again
    return len(found)


@cache
def _links_to(table_name: str) -> tuple[tuple[Any, Any], ...]:
    """Every (table, column) of a case's rows (a `case_id` column) that points at a row of
    `table_name`: the case's links to a person or place, in any workflow's tables."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if "case_id" not in table.c:
            continue
        for column in table.c:
            if any(fk.column.table.name == table_name for fk in column.foreign_keys):
                found.append((table, column))
    return tuple(found)


def _anonymise_record(session: Session, row: Any) -> None:
    if isinstance(row, Person):
        row.name, row.date_of_birth = ANONYMISED, None
    else:
        row.label, row.uprn, row.postcode = ANONYMISED, None, _district(row.postcode)
    # Its key matches no one (a new referral of the same name makes a new record), and
    # its reference into Sentinel, which identifies them there, goes.
    row.match_key, row.sentinel_ref = f"anonymised|{row.id}", None
    session.add(row)


def _anonymous_record(session: Session, model: Any, case: Case, old_id: int, now: datetime) -> int:
    """A new anonymous person or place standing in for one still needed elsewhere."""
    old = session.get(model, old_id)
    values: dict[str, Any] = {
        "area_id": case.area_id,
        "match_key": f"anonymised|case {case.id}|{old_id}",
        "created_at": now,
    }
    if model is Person:
        values["name"] = ANONYMISED
    else:
        values["label"], values["postcode"] = ANONYMISED, _district(old.postcode if old else None)
    row = model(**values)
    session.add(row)
    session.flush()
    return int(row.id)


def _anonymise_parties(session: Session, case_id: int) -> int:
    rows = session.exec(select(Party).where(Party.case_id == case_id)).all()
    for p in rows:
        p.name, p.email, p.phone, p.address, p.consent_detail = ANONYMISED, None, None, None, None
        # The postcode's district ("LE1") is kept: it is counted, and names no household.
        p.postcode = _district(p.postcode)
        session.add(p)
    return len(rows)


def scrub(value: Any) -> Any:
    """Data with its free text removed: codes, numbers, booleans and dates kept."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str) and not _CODE.fullmatch(value):
        return REMOVED
    return value


def _scrub_audit(session: Session, case_id: int) -> int:
    # Audit rows are otherwise only ever inserted; the schedule is the one exception, and
    # it takes away only the free text (reasons, typed details), never who, when or what.
    rows = session.exec(select(AuditEvent).where(AuditEvent.case_id == case_id)).all()
    for row in rows:
        row.reason = REMOVED if row.reason else None
        row.data = scrub(row.data)
        session.add(row)
    return len(rows)


def _scrub_messages(session: Session, case_id: int) -> int:
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.case_id == case_id)).all()
    for row in rows:
        row.recipient = ANONYMISED if row.recipient else row.recipient
        row.context = scrub(row.context)
        session.add(row)
    return len(rows)


def _replace_documents(session: Session, case_id: int, now: datetime) -> int:
    rows = session.exec(select(Document).where(Document.case_id == case_id)).all()
    for row in rows:
        # The title may name someone too: it becomes the document's kind.
        kind = row.kind.replace("_", " ").capitalize()
        note = (
            f"This {kind.lower()} was removed on {now.date().isoformat()} under the retention "
            "schedule. The case's dates and outcome are kept."
        ).encode()
        row.title = f"{kind} (removed)"
        row.content, row.size, row.media_type = note, len(note), "text/plain"
        row.filename = f"{row.kind}-{row.id}-removed.txt"
        session.add(row)
    return len(rows)


def _anonymise_complaints(session: Session, area_id: str, before: date, clock: Clock) -> int:
    """Complaints recorded without a case whose report is older than the area's period."""
    localities = list(registry.area(area_id).localities)
    try:
        ids = session.exec(
            select(Report.id)
            .join(ReportAudit, ReportAudit.report_id == Report.id)  # type: ignore[arg-type]
            .where(
                col(Report.case_id).is_(None),
                col(Report.reported_on) < before,
                col(Report.complainant_key) != "anonymised",
                col(ReportAudit.locality_id).in_(localities),
            )
            .distinct()
        ).all()
        if not ids:
            session.commit()
            return 0
        session.execute(
            update(Report)
            .where(col(Report.id).in_(ids))
            .values(officer=None, reference=None, complainant_key="anonymised")
        )
        for audit in session.exec(select(ReportAudit).where(col(ReportAudit.report_id).in_(ids))):
            audit.data = scrub(audit.data)
            session.add(audit)
        now = clock.now()
        for report_id in ids:
            session.add(
                PrivacyEvent(
                    report_id=report_id,
                    occurred_at=now,
                    actor_label="retention schedule",
                    action="complaint_anonymised",
                )
            )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(ids)


def _anonymise_imports(session: Session, area_id: str, before: date, clock: Clock) -> int:
    """Reports imported from Sentinel, with no case, kept as long as the complaint register:
    who reported them, to which person and under which agency reference are cleared. The
    Sentinel reference stays, so importing an old file again does not bring them back."""
    try:
        done = session.execute(
            update(Report)
            .where(
                col(Report.case_id).is_(None),
                col(Report.area_id) == area_id,
                col(Report.sentinel_ref).is_not(None),
                col(Report.reported_on) < before,
                col(Report.complainant_key) != "anonymised",
            )
            .values(
                reporter=None,
                reference=None,
                officer=None,
                person_id=None,
                complainant_key="anonymised",
            )
        )
        count = int(done.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            session.add(
                PrivacyEvent(
                    occurred_at=clock.now(),
                    actor_label="retention schedule",
                    action="imports_anonymised",
                    data={"area": area_id, "count": count, "reported_before": before.isoformat()},
                )
            )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return count


def _delete_saved_answers(session: Session, clock: Clock) -> int:
    """Saved public-form answers past the longest period any area allows, however active."""
    hours = max(registry.area(a).retention.saved_answers_hours for a in registry.area_ids())
    cutoff = clock.now() - timedelta(hours=hours)
    try:
        gone = session.execute(delete(FormSession).where(col(FormSession.created_at) <= cutoff))
        count = int(gone.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            session.add(
                PrivacyEvent(
                    occurred_at=clock.now(),
                    actor_label="retention schedule",
                    action="saved_answers_deleted",
                    data={"count": count, "started_before": cutoff.isoformat()},
                )
            )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return count
