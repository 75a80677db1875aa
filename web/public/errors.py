"""Error pages for people: the API keeps its problem+json answers, pages get GOV.UK pages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from engine.errors import EngineError
from web.errors import problem as api_problem
from web.ops import RETRY_AFTER_SECONDS, UNAVAILABLE
from web.public.templating import render
from web.security import CsrfFailed, TooManyRequests

log = logging.getLogger(__name__)
Handler = Callable[[Request, Exception], Awaitable[Response]]
TITLES = {
    400: "Sorry, there is a problem with this page",
    403: "Sorry, there is a problem with this page",
    404: "Page not found",
    405: "Page not found",
    413: "Sorry, what you sent is too large",
    422: "Sorry, there is a problem with this page",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is busy",
}


def _for_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz"


def _status(exc: Exception) -> int:
    if isinstance(exc, UNAVAILABLE):
        return 503
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, EngineError):
        return exc.status
    if isinstance(exc, RequestValidationError):
        return 404  # a page address that does not parse (e.g. /status/… or a number) is not there
    return 500


def _page(request: Request, exc: Exception) -> Response:
    status = _status(exc)
    if status == 503:
        log.warning("database unavailable: %s", type(exc).__name__)
    elif status >= 500:
        log.exception("unhandled error on a page", exc_info=exc)
    template = "errors/404.html" if status in (404, 405) else "errors/error.html"
    context = {"title": TITLES.get(status, TITLES[400]), "status": status}
    response = render(request, template, context, status=404 if status == 405 else status)
    if status == 503:
        response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    return response


def _csrf(request: Request, _exc: Exception) -> Response:
    return render(request, "errors/csrf.html", {"title": TITLES[403]}, status=403)


def _too_many(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TooManyRequests)
    minutes = max(1, exc.retry_after // 60)
    if _for_api(request):
        response: Response = api_problem(
            429, "Too many requests", f"Too many requests. Try again in {minutes} minutes."
        )
    else:
        response = render(request, "errors/too_many.html", {"minutes": minutes}, status=429)
    response.headers["retry-after"] = str(exc.retry_after)
    return response


def install(app: FastAPI) -> None:
    """Wrap the API's handlers: same answers under /api, pages everywhere else."""
    for kind in (
        StarletteHTTPException,
        EngineError,
        RequestValidationError,
        *UNAVAILABLE,
        Exception,
    ):
        app.add_exception_handler(kind, _either(app.exception_handlers.get(kind)))
    app.add_exception_handler(CsrfFailed, _sync(_csrf))
    app.add_exception_handler(TooManyRequests, _sync(_too_many))


def _either(api_handler: Any) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if api_handler is not None and _for_api(request):
            return await api_handler(request, exc)  # type: ignore[no-any-return]
        return _page(request, exc)

    return handle


def _sync(handler: Callable[[Request, Exception], Response]) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        return handler(request, exc)

    return handle
