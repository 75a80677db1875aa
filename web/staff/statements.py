"""The staff workspace's accessibility statement and privacy notice: open without signing in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.staff.routes import render

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/accessibility")
def accessibility(request: Request) -> Response:
    return render(request, "staff/accessibility.html")


@router.get("/privacy")
def privacy(request: Request) -> Response:
    return render(request, "staff/privacy.html")
