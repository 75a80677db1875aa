"""Action forms drawn from a transition's pydantic data model, and the posted form read back."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
from starlette.datastructures import FormData

from web.public.forms import read_date

DATE_PARTS = ("day", "month", "year")
# A recommendation per line: the four parts a JAG report gives each one.
RECOMMENDATION_HINT = (
    "One per line: who it is for | what they will do | named owner | due date (YYYY-MM-DD). "
    "Owner and due date may be left empty."
)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text, textarea, date, radios, checkbox, lines, number, pairs, recommendations
    required: bool
    hint: str = ""
    choices: tuple[str, ...] = field(default_factory=tuple)


def fields_for(model: type[BaseModel] | None) -> list[FormField]:
    """One form field per model field, in the model's order."""
    if model is None:
        return []
    return [_field(name, info) for name, info in model.model_fields.items()]


def _field(name: str, info: Any) -> FormField:
    kind, choices = _kind(info.annotation, name)
    hint = info.description or (RECOMMENDATION_HINT if kind == "recommendations" else "")
    if kind == "lines":
        hint = hint or "One per line."
    if kind == "pairs":
        hint = hint or "One per line, as: name: text."
    label = name.replace("_", " ").capitalize()
    return FormField(name, label, kind, info.is_required(), hint, choices)


def _kind(annotation: Any, name: str) -> tuple[str, tuple[str, ...]]:
    annotation = _without_none(annotation)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "radios", tuple(str(v) for v in typing.get_args(annotation))
    if annotation is date:
        return "date", ()
    if annotation is bool:
        return "checkbox", ()
    if annotation is int:
        return "number", ()
    if origin is dict:
        return "pairs", ()
    if origin is list:
        (item,) = typing.get_args(annotation)
        if item is str:
            return "lines", ()
        # A re-review's changes name an issued recommendation by its number.
        fields = getattr(item, "model_fields", {})
        return ("changes" if "recommendation" in fields else "recommendations"), ()
    long_text = name in ("reasons", "details", "findings", "summary", "note", "explanation")
    return ("textarea" if long_text or "reason" in name else "text"), ()


def _without_none(annotation: Any) -> Any:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def parse(fields: list[FormField], form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The event data from the posted form, and messages for what could not be read.

    Only shape is checked here (dates, numbers); the engine validates the meaning.
    """
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        try:
            value = _read(f, form)
        except ValueError as exc:
            errors[f.name] = str(exc)
            continue
        if value is not None:
            data[f.name] = value
    return data, errors


def _read(f: FormField, form: FormData) -> Any:
    raw = str(form.get(f.name, "")).strip()
    if f.kind == "date":
        return _date(f, form)
    if f.kind == "checkbox":
        # Ticked or left out: an unticked box leaves the event's default.
        return True if form.get(f.name) == "yes" else None
    if f.kind == "number":
        if not raw:
            return None
        if not raw.isdigit():
            raise ValueError(f"{f.label} must be a whole number")
        return int(raw)
    if f.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()] if raw else None
    if f.kind == "pairs":
        return _pairs(f, raw)
    if f.kind == "recommendations":
        return [_recommendation(line) for line in raw.splitlines() if line.strip()]
    if f.kind == "changes":
        return [_change(line) for line in raw.splitlines() if line.strip()]
    return raw or None


def _date(f: FormField, form: FormData) -> str | None:
    parts = [str(form.get(f"{f.name}-{p}", "")) for p in DATE_PARTS]
    if not any(p.strip() for p in parts):
        return None  # left out: the engine says whether it was needed
    value, problem = read_date(parts, what=f.label)
    if problem is not None:
        raise ValueError(problem[1])
    return value.isoformat() if value else None


def _pairs(f: FormField, raw: str) -> dict[str, str] | None:
    pairs = {}
    for line in raw.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"Write each line of {f.label.lower()} as name: text")
        pairs[key.strip()] = value.strip()
    return pairs or None


def _recommendation(line: str) -> dict[str, Any]:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) < 2 or len(parts) > 4:
        raise ValueError("Write each recommendation as: who it is for | what they will do")
    rec: dict[str, Any] = {"recipient_body": parts[0], "action": parts[1]}
    if len(parts) > 2 and parts[2]:
        rec["owner"] = parts[2]
    if len(parts) > 3 and parts[3]:
        try:
            rec["due_on"] = date.fromisoformat(parts[3]).isoformat()
        except ValueError:
            raise ValueError("Write a recommendation's due date as YYYY-MM-DD") from None
    return rec


def _change(line: str) -> dict[str, Any]:
    """ "2 | withdraw | reason" or "2 | the new action | reason" """
    parts = [p.strip() for p in line.split("|")]
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or not parts[2]:
        raise ValueError(
            "Write each change as: recommendation number | withdraw, or the new action | reason"
        )
    change: dict[str, Any] = {"recommendation": int(parts[0]), "reason": parts[2]}
    if parts[1].lower() == "withdraw":
        change["withdraw"] = True
    else:
        change["action"] = parts[1]
    return change


def field_of(engine_field: str | None, fields: list[FormField]) -> str:
    """The form field an engine error names ("data.reasons" or "reasons" → "reasons")."""
    names = [f.name for f in fields]
    parts = (engine_field or "").split(".")
    for part in parts:
        if part in names:
            return part
    return names[0] if names else "event"


def event_form_context(
    actor: Any, found: dict[str, Any], values: dict[str, Any], errors: dict[str, str], version: int
) -> dict[str, Any]:
    """What every event form page shows: its fields with the values given, the errors (each
    linked to its field: a date to its day box), the case version and the way back."""
    fields = fields_for(found["model"])
    kinds = {f.name: f.kind for f in fields}

    def anchor(name: str) -> str:
        return f"{name}-day" if kinds.get(name) == "date" else name

    return {
        "actor": actor,
        "found": found,
        "fields": fields,
        "values": values,
        "errors": errors or None,
        "error_list": [{"text": m, "href": f"#{anchor(n)}"} for n, m in errors.items()],
        "version": version,
        "back_url": f"/staff/cases/{found['case']['reference']}",
    }
