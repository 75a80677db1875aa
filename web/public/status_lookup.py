"""The status page without the private link: the applicant types their reference and code.

Someone who applied by phone or post (or lost the receipt) has the reference and code from
any letter or message; the page is rate limited, and a wrong reference or code gets one
answer for both, so neither can be found on its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from engine.errors import NotFound
from web.deps import ClockDep, SessionDep
from web.public.forms import Errors, clean
from web.public.templating import render
from web.security import browser, checked_form, rate_limited
from workflows.community_trigger.services import public_status

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]
NOT_FOUND = (
    "We could not find a case with that reference and code. Check them in your letter or "
    "message, or phone your named contact"
)


@router.get("/status")
def find_form(request: Request) -> Response:
    browser(request)  # the form's CSRF token
    return _form(request, {}, Errors())


@router.post("/status", dependencies=[Depends(rate_limited("status"))])
def find(request: Request, form: CheckedForm, session: SessionDep, clock: ClockDep) -> Response:
    values = {k: clean(str(form.get(k, ""))) for k in ("reference", "code")}
    errors = Errors()
    if not values["reference"]:
        errors["reference"] = "Enter your reference, for example CT-2026-000123"
    if not values["code"]:
        errors["code"] = "Enter your code, for example KQ7-M4P"
    if errors:
        return _form(request, values, errors, status=422)
    try:
        found = public_status.case_status_by_code(
            session, reference=values["reference"], code=values["code"], clock=clock
        )
    except NotFound:
        return _form(request, values, Errors(reference=NOT_FOUND), status=404)
    response = render(request, "public/status.html", {"status": found})
    response.headers["x-robots-tag"] = "noindex, nofollow"
    response.headers["cache-control"] = "no-store"
    return response


def _form(request: Request, values: dict[str, str], errors: Errors, status: int = 200) -> Response:
    context = {"values": values, "errors": errors or None, "error_list": errors.summary()}
    return render(request, "public/status_find.html", context, status=status)
