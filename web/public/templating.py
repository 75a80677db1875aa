"""The Jinja environment for the pages (GOV.UK Frontend macros) and the render helpers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from starlette.responses import HTMLResponse, RedirectResponse, Response

from engine.settings import Settings
from engine.threshold import format_date
from web.fingerprints import asset
from web.public import pages
from web.security import masked_csrf_token, set_browser_cookie
from web.staff.wording import in_words

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SERVICE_NAME = "Apply for an ASB Case Review"
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def long_date(day: date | str | None) -> str:
    """ "Friday 12 December 2026": how GOV.UK writes a date with its day."""
    if day is None or day == "":
        return ""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{_DAYS[d.weekday()]} {format_date(d)}"


def short_date(day: date | str | None) -> str:
    if day is None or day == "":
        return ""
    return format_date(date.fromisoformat(day) if isinstance(day, str) else day)


def error_for(errors: dict[str, str] | None, *names: str) -> dict[str, str] | None:
    """The errorMessage parameter for a field (the first of `names` with an error)."""
    for name in names:
        if errors and name in errors:
            return {"text": errors[name]}
    return None


def date_items(values: dict[str, Any], name: str, failed: bool) -> list[dict[str, Any]]:
    """The three boxes of a GOV.UK date input, filled in and marked when the date failed."""
    widths = {"day": 2, "month": 2, "year": 4}
    mark = " govuk-input--error" if failed else ""
    return [
        {
            "name": part,
            "classes": f"govuk-input--width-{width}{mark}",
            "value": values.get(f"{name}-{part}", ""),
        }
        for part, width in widths.items()
    ]


def options(choices: dict[str, str], hints: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Radio or checkbox items from a {value: label} table (with optional hints)."""
    hints = hints or {}
    return [
        {"value": v, "text": t, "hint": {"text": hints[v]} if v in hints else None}
        for v, t in choices.items()
    ]


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


def make_environment(settings: Settings) -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # Templates are read once per process: pages are rendered on every request.
    # finalize: a missing answer (None) prints as nothing, never as the word "None".
    env = Environment(loader=loader, autoescape=True, auto_reload=False, finalize=_blank_none)
    env.filters["long_date"] = long_date
    env.filters["short_date"] = short_date
    env.globals.update(
        roles=pages.ROLES,
        role_hints=pages.ROLE_HINTS,
        involvement=pages.INVOLVEMENT,
        involvement_hints=pages.INVOLVEMENT_HINTS,
        yes_no=pages.YES_NO,
    )
    env.globals.update(
        service_name=SERVICE_NAME,
        # Through our own route, so leaving also deletes the answers (web/public/support.py).
        exit_url="/exit",
        error_for=error_for,
        asset=asset,
        in_words=in_words,
        date_items=date_items,
        options=options,
    )
    return env


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render a page; pages with a form get this browser's CSRF token (and its cookie)."""
    env: Environment = request.app.state.templates
    values = {"request": request, "errors": None, **(context or {})}
    if "csrf" not in values and getattr(request.state, "browser", None) is not None:
        values["csrf"] = masked_csrf_token(request)
    response = HTMLResponse(env.get_template(name).render(values), status_code=status)
    # Answers about a victim must not sit in a shared computer's cache or history store.
    response.headers["cache-control"] = "no-store"
    set_browser_cookie(request, response)
    return response


def redirect(request: Request, url: str) -> Response:
    """Post/redirect/get: 303 so a refresh never posts again."""
    response = RedirectResponse(url, status_code=303)
    set_browser_cookie(request, response)
    return response
