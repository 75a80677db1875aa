"""The public pages: start page, status page, information pages, and the form's routers."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from engine import registry
from engine.errors import NotFound
from engine.services import public_info
from web.deps import ClockDep, SessionDep
from web.public import (
    apply,
    figures,
    incidents,
    other_reporters,
    precheck,
    status_lookup,
    submit,
    support,
)
from web.public.templating import render
from workflows.community_trigger.services import public_status

router = APIRouter(include_in_schema=False)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


@router.get("/")
async def start(request: Request) -> Response:
    # The start page depends only on the area files, which are read once per process, so it
    # is rendered once too: it is the page every visitor, and every crawler, asks for. It
    # does no I/O, so it runs on the event loop rather than in the thread pool.
    cache: dict[str, bytes] = request.app.state.page_cache
    if "start" not in cache:
        area_id = request.app.state.settings.public_area
        context = {
            "area": registry.area(area_id),
            "timescale_groups": public_info.grouped_timescales(area_id),
            "ways": public_info.other_ways(area_id),
        }
        cache["start"] = render(request, "public/start.html", context).body
    return HTMLResponse(cache["start"], headers={"cache-control": "no-cache"})


@router.get("/status/{token}")
def status(token: str, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    if not _TOKEN.match(token):
        raise HTTPException(404, "Page not found")
    try:
        found = public_status.case_status(
            session, token=token, clock=clock, link_days=request.app.state.settings.status_link_days
        )
    except NotFound:
        raise HTTPException(404, "Page not found") from None
    response = render(request, "public/status.html", {"status": found})
    response.headers["x-robots-tag"] = "noindex, nofollow"
    return response


@router.get("/privacy")
def privacy(request: Request) -> Response:
    return render(request, "public/info/privacy.html")


@router.get("/cookies")
def cookies(request: Request) -> Response:
    return render(request, "public/info/cookies.html")


@router.get("/accessibility")
def accessibility(request: Request) -> Response:
    return render(request, "public/info/accessibility.html")


def public_router() -> APIRouter:
    """Every public route, specific paths before the form's catch-all question pages."""
    combined = APIRouter(include_in_schema=False)
    for part in (
        status_lookup.router,
        router,
        figures.router,
        support.router,
        precheck.router,
        submit.router,
        incidents.router,
        other_reporters.router,
        apply.router,
    ):
        combined.include_router(part)
    return combined
