"""The domain errors that the web layer maps to 4xx answers."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(EngineError):
    status = 404
    title = "Not found"


class NotAllowed(EngineError):
    status = 403
    title = "Not allowed"


class NotAuthenticated(EngineError):
    status = 401
    title = "Not signed in"


class InvalidTransition(EngineError):
    status = 409
    title = "Event not allowed now"


class StaleVersion(EngineError):
    status = 409
    title = "Someone else changed this case"


class InvalidInput(EngineError):
    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, *, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(detail, field=field)
        self.errors = errors or [{"field": field, "message": detail}]


class TooLarge(EngineError):
    status = 413
    title = "Request too large"
