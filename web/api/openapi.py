"""The OpenAPI document, true to the API: every error each route answers, as the
`application/problem+json` answers web/errors.py writes (schema `Problem`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_MEDIA = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as RFC 9457 describes; `field` names the input at fault.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
WHY = {
    400: "The body could not be read (not UTF-8, or not JSON).",
    401: "No API token, or one that is not valid, revoked or expired.",
    403: "The caller holds no role that may do this (staff of another locality).",
    404: "No such case (or one the caller may not know exists), workflow, area or year.",
    409: "The version is stale, or the event is not allowed in the case's state now.",
    413: "The body is larger than the limit.",
    422: "The input is not valid; `field` names the first input at fault.",
    429: "Too many requests from this client; wait `Retry-After` seconds.",
    431: "The request headers are larger than the limit.",
}
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": {"schema": {"type": "string"}}},
}
PUBLIC_WRITE = (400, 413, 422, 429, 431)
# The errors each route answers, besides 431 (any request with oversized headers).
ROUTE_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/api/v1/threshold-check"): PUBLIC_WRITE,
    ("post", "/api/v1/applications"): PUBLIC_WRITE,
    ("get", "/api/v1/cases"): (401, 422),
    ("get", "/api/v1/cases/{reference}"): (401, 403, 404),
    ("get", "/api/v1/cases/{reference}/appeal-decision"): (401, 404),
    ("post", "/api/v1/cases/{reference}/events"): (400, 401, 403, 404, 409, 413, 422),
    ("get", "/api/v1/work"): (401,),
    ("get", "/api/v1/overdue"): (401, 403, 422),
    ("get", "/api/v1/figures"): (404, 422),
    ("get", "/api/v1/workflows/{name}"): (404,),
}


def install(app: FastAPI) -> None:
    """Serve the document built from the routes, with the errors set out as above."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            app.openapi_schema = with_problems(document)
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def with_problems(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            codes = ROUTE_ERRORS.get((method, path), ())
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's own shape; ours is a Problem
            for code in sorted({*codes, 431}):
                responses[str(code)] = _problem(code)
            if any(p.get("in") == "header" for p in operation.get("parameters", [])):
                continue
            if path.startswith("/api/v1/cases") or path in ("/api/v1/work", "/api/v1/overdue"):
                operation["security"] = [{"bearer": []}]
    document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return document


def _problem(code: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": WHY[code],
        "content": {PROBLEM_MEDIA: {"schema": PROBLEM_REF}},
    }
    if code in HEADERS:
        answer["headers"] = HEADERS[code]
    return answer
