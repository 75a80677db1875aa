"""The staff pages for personal data on a case: who looked at it, the subject access
export, and the legal hold. Who may do what is decided in the engine."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.errors import InvalidInput
from engine.services import case_views, retention, subject_access
from web.deps import ClockDep, SessionDep, SignedInStaff
from web.public.templating import redirect
from web.security import checked_form
from web.staff.routes import render

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/cases/{reference}/views")
def who_looked(
    reference: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    views = case_views.who_looked(session, reference=reference, actor=actor, clock=clock)
    context = {
        "actor": actor,
        "reference": reference,
        "views": views,
        "what": case_views.WHAT,
        "back_url": f"/staff/cases/{reference}",
    }
    return render(request, "staff/case_views.html", context)


@router.get("/cases/{reference}/export.{fmt}")
def export(
    reference: str, fmt: str, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    if fmt not in subject_access.FORMATS:
        return Response("There is no export in that format.", status_code=404)
    filename, media_type, content = subject_access.export(
        session, reference=reference, actor=actor, clock=clock, fmt=fmt
    )
    headers = {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "no-store",
    }
    return Response(content, media_type=media_type, headers=headers)


@router.get("/cases/{reference}/legal-hold")
def hold_page(
    reference: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    panel = case_views.privacy_panel(session, reference=reference, actor=actor)
    case_views.require_case_manager(session, reference=reference, actor=actor)
    return _hold_form(request, actor, reference, panel, {}, {})


@router.post("/cases/{reference}/legal-hold")
async def change_hold(
    reference: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    reason = str(form.get("reason") or "")
    change = retention.set_hold if form.get("action") == "set" else retention.clear_hold
    try:
        change(session, reference=reference, actor=actor, clock=clock, reason=reason)
    except InvalidInput as exc:
        session.rollback()
        errors = {str(e.get("field") or "reason"): e["message"] for e in exc.errors}
        panel = case_views.privacy_panel(session, reference=reference, actor=actor)
        session.rollback()
        return _hold_form(request, actor, reference, panel, dict(form), errors, status=422)
    return redirect(request, f"/staff/cases/{reference}#personal-data")


def _hold_form(
    request: Request,
    actor: object,
    reference: str,
    panel: dict[str, object],
    values: dict[str, object],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    context = {
        "actor": actor,
        "reference": reference,
        "privacy": panel,
        "values": values,
        "errors": errors,
        "error_list": [{"text": m, "href": f"#{n}"} for n, m in errors.items()],
        "back_url": f"/staff/cases/{reference}",
    }
    return render(request, "staff/legal_hold.html", context, status=status)
