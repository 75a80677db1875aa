"""What a workflow adds to the generic staff pages, registered by the module that serves it
(web/staff/jag.py for JAG case work) when it is imported: its own case page, the choices its
events' forms offer from the case and the area, and work it asks of one person by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from engine import registry
from web.public.templating import short_date

# MOJ badges: red overdue, amber due within a few working days, green on track.
RAG_BADGES = {"red": "moj-badge--red", "amber": "ct-badge--amber", "green": "moj-badge--green"}

# A workflow with a case page of its own (its sections, its words): workflow name -> a
# function (request, actor, session, clock, reference) -> Response. A module that adds one
# registers it when it is imported (web/staff/jag.py); any other case gets the page below.
CASE_PAGES: dict[str, Callable[..., Response]] = {}
# Choices an event's form offers from the case or the area rather than from its data model
# (the case's actions, the area's ladder stages): workflow name -> a function
# (session, actor, reference, event) -> {field: [{"value", "text", "hint"?}]}.
EVENT_CHOICES: dict[str, Callable[..., dict[str, list[dict[str, Any]]]]] = {}


def case_page_of(reference: str) -> Callable[..., Response] | None:
    """The case page of the workflow whose prefix the reference carries, if it has one."""
    found = registry.package_for_reference(reference)
    return CASE_PAGES.get(found.name) if found is not None else None


def add_choices(found: dict[str, Any], session: Any, actor: Any) -> None:
    """The choices the workflow offers for the event's fields, on the form's data."""
    case = found["case"]
    choices = EVENT_CHOICES.get(case["workflow"]["name"])
    found["choices"] = choices(session, actor, case["reference"], found["event"]) if choices else {}


# Work a workflow asks of one person rather than of a role in a locality (a peer review
# asked of another locality's chair): functions (session, *, actor, today) -> lines with
# reference, locality_name, label, due_date, days_left and rag. Registered on import.
ASSIGNED_WORK: list[Callable[..., list[dict[str, Any]]]] = []


def assigned_line(line: dict[str, Any]) -> dict[str, Any]:
    days = line["days_left"]
    if days < 0:
        status = f"{-days} day{'s' if days != -1 else ''} overdue"
    else:
        status = "Due today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
    return {
        **line,
        "due_text": short_date(line["due_date"]),
        "badge": RAG_BADGES[line["rag"]],
        "status_text": status,
    }
