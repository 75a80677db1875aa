"""The staff pages for documents: the response letter's preview step, and downloads.

Issuing the response goes through the ordinary event form (POST .../events/response_issued);
this module only puts a preview in front of it, so the API's one-step event still works.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from engine import letters, queries
from engine.errors import InvalidInput, NotFound
from engine.services import case_views
from web.deps import ClockDep, RowId, SessionDep, SignedInStaff
from web.public.templating import render as render_page
from web.security import browser, checked_form
from web.staff import forms
from web.staff import session as staff_session
from workflows.community_trigger import documents

router = APIRouter(prefix="/staff", include_in_schema=False)

# Events whose form is the letter page: write, preview the letter, then issue it.
PREVIEWED = (documents.RESPONSE_EVENT,)


def letter_form(
    request: Request,
    actor: Any,
    found: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    version: int,
    *,
    letter: str | None = None,
    status: int = 200,
) -> Response:
    """The response form; with `letter`, the letter it makes and the button to issue it."""
    reference = found["case"]["reference"]
    context = {
        **forms.event_form_context(actor, found, values, errors, version),
        # Rendered by the engine from its template, with everything typed escaped there.
        "letter": Markup(letter) if letter else None,
        "preview_url": f"/staff/cases/{reference}/events/{found['event']}/preview",
        "issue_url": f"/staff/cases/{reference}/events/{found['event']}",
    }
    browser(request)  # every staff page carries this browser's CSRF token
    context = staff_session.page_extras(request, context)
    return render_page(request, "staff/letter_preview.html", context, status=status)


@router.post("/cases/{reference}/events/response_issued/preview")
async def preview_letter(
    reference: str,
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await checked_form(request)
    text = str(form.get("version") or "")
    version = int(text) if text.isdigit() else -1
    event = documents.RESPONSE_EVENT
    found = queries.event_form(session, reference=reference, event=event, actor=actor, clock=clock)
    fields = forms.fields_for(found["model"], event)
    data, errors = forms.check(fields, found["model"], *forms.parse(fields, form))
    letter = None
    if not errors:
        try:
            letter = documents.preview_response_letter(
                session, reference=reference, data=data, actor=actor, clock=clock
            )
        except InvalidInput as exc:
            errors = forms.engine_errors(fields, exc.errors)
    session.rollback()  # a preview only reads
    return letter_form(
        request,
        actor,
        found,
        dict(form),
        errors,
        version,
        letter=letter,
        status=422 if errors else 200,
    )


@router.post("/cases/{reference}/events/{event}/preview")
async def preview_decision_letter(
    reference: str,
    event: str,
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Any other decision letter (threshold, rejection, appeal decision, closure): the event's
    own form with the letter it would send shown above it."""
    form = await checked_form(request)
    text = str(form.get("version") or "")
    version = int(text) if text.isdigit() else -1
    found = queries.event_form(session, reference=reference, event=event, actor=actor, clock=clock)
    if not found["letter"]:
        raise NotFound(f"Recording {event.replace('_', ' ')} sends no letter to preview.")
    fields = forms.fields_for(found["model"])
    data, errors = forms.parse(fields, form)
    letter = None
    if not errors:
        try:
            letter = letters.preview(
                session, reference=reference, event=event, data=data, actor=actor, clock=clock
            )
        except InvalidInput as exc:
            errors = {forms.field_of(e.get("field"), fields): e["message"] for e in exc.errors}
    session.rollback()  # a preview only reads
    context = {
        **forms.event_form_context(actor, found, dict(form), errors, version),
        # Rendered by the engine from its template, with everything typed escaped there.
        "letter": Markup(letter) if letter else None,
    }
    browser(request)
    return render_page(request, "staff/event.html", context, status=422 if errors else 200)


@router.get("/cases/{reference}/documents/{document_id}")
def download(
    reference: str,
    document_id: RowId,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    doc = case_views.document(
        session, reference=reference, document_id=document_id, actor=actor, clock=clock
    )
    headers = {
        "content-disposition": f'attachment; filename="{doc.filename}"',
        "cache-control": "no-store",
    }
    return Response(doc.content, media_type=doc.media_type, headers=headers)
