"""The managers' pages: each case's reminder ledger, and dead letters with a retry button.

Who may see what is the engine's decision (engine/ledger.py); these routes parse, call and
render.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine import ledger, reminders
from engine.errors import InvalidTransition, NotFound
from engine.services import case_views
from web.deps import MAX_ROW_ID, ClockDep, SessionDep, SignedInStaff
from web.public.templating import redirect
from web.security import checked_form
from web.staff.routes import render

router = APIRouter(prefix="/staff", include_in_schema=False)
STATUS_TAGS = {
    "sent": ("Sent", "govuk-tag--green"),
    "scheduled": ("Planned", "govuk-tag--blue"),
    "pending": ("Waiting to send", "govuk-tag--yellow"),
    "failed": ("Failed", "govuk-tag--red"),
    "dead": ("Failed for good", "govuk-tag--red"),
    "cancelled": ("Cancelled", "govuk-tag--grey"),
    "skipped": ("Not sent", "govuk-tag--grey"),
}


@router.get("/cases/{reference}/reminders")
def reminders_page(
    reference: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    entries = case_views.reminders(session, reference=reference, actor=actor, clock=clock)
    context = {
        "actor": actor,
        "reference": reference,
        "back_url": f"/staff/cases/{reference}",
        "groups": ledger_groups(entries),
        "tags": STATUS_TAGS,
        "step_label": reminders.step_label,
    }
    return render(request, "staff/reminders.html", context)


def ledger_groups(entries: list[ledger.LedgerEntry]) -> list[dict[str, Any]]:
    """One group per deadline (in the order deadlines were set), then messages of no deadline;
    within a group, in date order."""
    order: dict[int | None, int] = {}
    for e in entries:
        order.setdefault(e.deadline_id, len(order))
    ranked = sorted(
        entries,
        key=lambda e: (
            e.deadline_id is None,
            order[e.deadline_id],
            e.on.isoformat() if e.on else "",
            e.message_id or 0,
        ),
    )
    groups = []
    for _, rows in groupby(ranked, key=lambda e: e.deadline_id):
        listed = list(rows)
        groups.append({"deadline": listed[0].deadline_label, "entries": listed})
    return groups


@router.get("/dead-letters")
def dead_letters_page(request: Request, actor: SignedInStaff, session: SessionDep) -> Response:
    retried = request.query_params.get("retried", "")
    return _dead_letters(request, actor, session, retried=retried if retried.isdigit() else None)


@router.post("/dead-letters/{message_id}/retry")
async def retry(
    message_id: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    await checked_form(request)
    # Outbox ids are integer columns: a bigger number (or no number) is no message of ours.
    digits = message_id.isascii() and message_id.isdigit() and len(message_id) <= 10
    if not digits or int(message_id) > MAX_ROW_ID:
        raise NotFound(f"There is no message {message_id[:20]}.")
    try:
        ledger.retry_dead_letter(session, message_id=int(message_id), actor=actor, clock=clock)
    except InvalidTransition as exc:
        session.rollback()
        return _dead_letters(request, actor, session, problem=exc.detail, status=409)
    return redirect(request, f"/staff/dead-letters?retried={int(message_id)}")


def _dead_letters(
    request: Request,
    actor: Any,
    session: Any,
    *,
    retried: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    entries = ledger.dead_letters_page(session, actor=actor)
    context = {
        "actor": actor,
        "nav": "dead_letters",
        "entries": entries,
        "retried": retried,
        "problem": problem,
        "tags": STATUS_TAGS,
        "step_label": reminders.step_label,
    }
    return render(request, "staff/dead_letters.html", context, status=status)
