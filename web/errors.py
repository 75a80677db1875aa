"""The one map from engine errors and bad requests to problem+json answers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import EngineError
from web.ops import RETRY_AFTER_SECONDS, UNAVAILABLE, unavailable_body
from web.security import BodyTooLarge

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _engine_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineError)
    extra: dict[str, Any] = {}
    if exc.field:
        extra["field"] = exc.field
    if getattr(exc, "errors", None):
        extra["errors"] = exc.errors  # type: ignore[attr-defined]
    return problem(exc.status, exc.title, exc.detail, **extra)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _error_field(e), "message": _message(e)} for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "The request is not valid."}
    return problem(
        422,
        "Invalid input",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


def _error_field(error: dict[str, Any]) -> str:
    # For unparseable JSON the location is the character offset, not a field.
    if error.get("type") == "json_invalid":
        return "body"
    return _field(error.get("loc", ()))


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "The body is not valid JSON."
    return str(error.get("msg", "is not valid"))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    answer = problem(exc.status_code, str(exc.detail), str(exc.detail))
    # The router's own headers go out too: `Allow` on a 405 (TRACE included).
    for name, value in (exc.headers or {}).items():
        answer.headers[name] = value
    return answer


async def _too_large(_request: Request, _exc: Exception) -> JSONResponse:
    return problem(413, "Request too large", "The body is too large.", field="body")


async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
    # Answered as a normal response (not re-raised), so the keep-alive connection stays open.
    log.warning("database unavailable: %s", type(exc).__name__)
    response = JSONResponse(unavailable_body(), status_code=503, media_type=PROBLEM)
    response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    return response


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # Logged with its traceback for us; the caller never sees one.
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "Something went wrong", "Something went wrong on our side.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(BodyTooLarge, _too_large)
    for kind in UNAVAILABLE:
        app.add_exception_handler(kind, _unavailable)
    app.add_exception_handler(Exception, _unexpected)
