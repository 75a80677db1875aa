"""Pages that keep people safe and heard: "Exit this page", browsing safely, and feedback."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from engine.errors import InvalidInput
from engine.services.feedback import MAX_COMMENTS, RATINGS, give_feedback
from web.deps import ClockDep, SessionDep
from web.public.forms import clean
from web.public.templating import redirect, render
from web.security import browser, checked_form, cookie_name, rate_limited
from workflows.community_trigger.services import form_sessions

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]
FEEDBACK_LIMIT = Depends(rate_limited("feedback"))
# The confirmation page's cookie (web/public/submit.py): it holds the status link.
SENT_COOKIE = "ct_sent"


@router.get("/exit")
def exit_page(request: Request, session: SessionDep) -> Response:
    """ "Exit this page": delete the answers and forget this browser, then leave for a
    neutral site. Every page is sent with no-store, so "Back" asks us again and finds
    nothing to show. A GET, because the button is a link that must work without scripts.

    The way on is a page that refreshes at once (with a link, should refresh be off), not a
    redirect: "Back" from the neutral site lands here and goes straight on again."""
    found = browser(request)  # a browser with no cookie gets a token that is never sent
    secure = found.secure
    if not found.is_new:
        form_sessions.discard(session, token=found.token)
    away = escape(request.app.state.settings.exit_page_url)
    page = LEAVING.format(url=away)
    response = HTMLResponse(page, headers={"cache-control": "no-store"})
    response.delete_cookie(cookie_name(secure), path="/", secure=secure, httponly=True)
    response.delete_cookie(SENT_COOKIE, path="/apply/confirmation", secure=secure, httponly=True)
    # Browsers that support it also drop this site's cached pages and storage.
    response.headers["clear-site-data"] = '"cache", "storage"'
    return response


LEAVING = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Loading</title>
<meta http-equiv="refresh" content="0;url={url}">
<meta name="robots" content="noindex, nofollow"></head>
<body><p><a href="{url}">Continue</a></p></body>
</html>
"""


@router.get("/browsing-safely")
def browsing_safely(request: Request) -> Response:
    return render(request, "public/info/browsing_safely.html", {"back_url": "/"})


@router.get("/feedback")
def feedback_page(request: Request) -> Response:
    return _feedback_form(request, {}, {})


@router.post("/feedback", dependencies=[FEEDBACK_LIMIT])
def send_feedback(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    values = {"rating": str(form.get("rating", "")), "comments": clean(form.get("comments"))}
    try:
        give_feedback(session, clock=clock, rating=values["rating"], comments=values["comments"])
    except InvalidInput as exc:
        errors = {str(e["field"]): str(e["message"]) for e in exc.errors}
        return _feedback_form(request, values, errors, status=422)
    return redirect(request, "/feedback/sent")


@router.get("/feedback/sent")
def feedback_sent(request: Request) -> Response:
    return render(request, "public/info/feedback_sent.html")


def _feedback_form(
    request: Request, values: dict[str, str], errors: dict[str, str], *, status: int = 200
) -> Response:
    order = ("rating", "comments")
    error_list = [{"text": errors[n], "href": f"#{n}"} for n in order if n in errors]
    context = {
        "values": values,
        "errors": errors or None,
        "error_list": error_list,
        "ratings": RATINGS,
        "max_comments": MAX_COMMENTS,
        "back_url": "/",
    }
    browser(request)  # the form needs this browser's token (and its cookie on a first visit)
    return render(request, "public/info/feedback.html", context, status=status)
