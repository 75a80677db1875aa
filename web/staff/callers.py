"""Checking a caller: the named contact types the reference and code the caller reads out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.deps import ClockDep, SessionDep, SignedInStaff
from web.public.forms import Errors, clean
from web.security import browser, checked_form
from web.staff.routes import render
from workflows.community_trigger.services.callers import check_caller

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/caller")
def caller_form(request: Request, actor: SignedInStaff) -> Response:
    browser(request)
    return _page(request, actor, {}, Errors())


@router.post("/caller")
async def caller_check(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    values = {k: clean(str(form.get(k, ""))) for k in ("reference", "code")}
    errors = Errors()
    if not values["reference"]:
        errors["reference"] = "Enter the case reference, for example CT-2026-000123"
    if not values["code"]:
        errors["code"] = "Enter the code the caller reads out, for example KQ7-M4P"
    if errors:
        return _page(request, actor, values, errors, status=422)
    result = check_caller(
        session, reference=values["reference"], code=values["code"], actor=actor, clock=clock
    )
    if not result.matches:
        errors["code"] = (
            "The code does not match this case. Ask the caller to read it again from a "
            "letter or message about the case"
        )
        return _page(request, actor, values, errors, status=422)
    return _page(request, actor, values, errors, checked=result.reference)


def _page(
    request: Request,
    actor: object,
    values: dict[str, str],
    errors: Errors,
    *,
    checked: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "actor": actor,
        "values": values,
        "errors": errors or None,
        "error_list": errors.summary(),
        "checked": checked,
        "nav": "caller",
    }
    return render(request, "staff/caller.html", context, status=status)
