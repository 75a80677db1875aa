"""Action forms drawn from a transition's pydantic data model, and the posted form read back.

The words (labels, hints, choices, messages) come from web/staff/wording.py; this module
reads the boxes into the event's data, with the data's shape unchanged for the engine
(`recommendations: list[{recipient_body, action, owner, due_on}]`, `recommendation: int`),
and finds every problem at once, in page order, one message per field.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from web.public.forms import read_date
from web.staff.wording import DATE_HINT, RECOMMENDATION_PARTS, REVEALS, words_for

DATE_PARTS = ("day", "month", "year")
REC = "recommendations"
ADD_ROW, REMOVE_ROW = "add_recommendation", "remove_recommendation"
MAX_ROWS = 50
_ROW = re.compile(r"^recommendations-(\d+)-")


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text, textarea, date, radios, checkbox, lines, number, pairs, recommendations
    required: bool
    hint: str = ""
    choices: tuple[str, ...] = field(default_factory=tuple)
    what: str = ""  # for messages: "Enter {what}", "Select {what}"
    choice_text: dict[str, str] = field(default_factory=dict)
    reveals: dict[str, str] = field(default_factory=dict)  # choice -> field shown under it
    revealed: bool = False  # shown under a choice of another field, not on its own
    # Chosen from what the case or the area holds ({"value", "text", "hint"?} each): an
    # action of the case, a stage of the area's ladder; a yes/no question for each of a
    # `questions` field's keys (a risk assessment's answers).
    options: tuple[dict[str, Any], ...] = ()


def fields_for(
    model: type[BaseModel] | None,
    event: str = "",
    choices: dict[str, list[dict[str, Any]]] | None = None,
) -> list[FormField]:
    """One form field per model field, in the model's order; a field the workflow gives
    choices for is answered by choosing (an optional one with nothing to choose is left out)."""
    fields = _fields_for(model, event)
    if not choices:
        return fields
    out = []
    for f in fields:
        options = tuple(choices.get(f.name) or ())
        if f.name not in choices:
            out.append(f)
        elif not options and not f.required:
            out.append(replace(f, revealed=True))  # not shown: nothing to choose from
        else:
            kind = "questions" if f.kind == "pairs" else f.kind
            out.append(replace(f, kind=kind, options=options))
    return out


def _fields_for(model: type[BaseModel] | None, event: str = "") -> list[FormField]:
    if model is None:
        return []
    return [_field(name, info, event) for name, info in model.model_fields.items()]


def _field(name: str, info: Any, event: str) -> FormField:
    kind, choices = _kind(info.annotation, name)
    words = words_for(event, name)
    hint = words.hint or (DATE_HINT if kind == "date" else "")
    if kind == "date" and words.hint:
        hint = f"{words.hint} {DATE_HINT}"
    if kind == "lines":
        hint = hint or info.description or "One per line."
    reveals = {c: REVEALS[(name, c)] for c in choices if (name, c) in REVEALS}
    revealed = any(target == name for target in REVEALS.values())
    return FormField(
        name,
        words.label,
        kind,
        info.is_required(),
        hint,
        choices,
        words.what,
        {c: words.choices.get(c) or c.replace("_", " ").capitalize() for c in choices},
        reveals,
        revealed,
    )


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
    long_text = name in (
        *("reasons", "details", "findings", "summary", "note", "notes", "explanation"),
        *("question", "action", "objective", "scanning", "analysis", "response", "assessment"),
        "recommendations",
    )
    return ("textarea" if long_text or "reason" in name else "text"), ()


def _without_none(annotation: Any) -> Any:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


# --- reading the posted form -------------------------------------------------------------


class EventData(dict[str, Any]):
    """The event's data; `rows` says which fieldset each recommendation came from."""

    rows: list[int]


def parse(fields: list[FormField], form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The event data from the posted form, and messages for what could not be read.

    Only shape is checked here (dates, numbers); `check` adds what the model refuses.
    """
    data = EventData()
    data.rows = []
    errors: dict[str, str] = {}
    for f in fields:
        try:
            value = _read(f, form, errors, data.rows)
        except ValueError as exc:
            errors[f.name] = str(exc)
            continue
        if value is not None:
            data[f.name] = value
    return data, errors


def _read(f: FormField, form: FormData, errors: dict[str, str], rows: list[int]) -> Any:
    raw = str(form.get(f.name, "")).strip()
    if f.kind == "date":
        return _date(f.name, f.label, form)
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
    if f.kind == "questions":
        return _questions(f, form, errors)
    if f.kind == "recommendations":
        if raw:  # a list pasted as lines ("who | what | owner | due"), as older forms sent
            return [_recommendation_line(line) for line in raw.splitlines() if line.strip()]
        return _recommendation_rows(form, errors, rows)
    if f.kind == "changes":
        return [_change(line) for line in raw.splitlines() if line.strip()]
    return raw or None


def _date(name: str, label: str, form: FormData) -> str | None:
    parts = [str(form.get(f"{name}-{p}", "")) for p in DATE_PARTS]
    if not any(p.strip() for p in parts):
        return None  # left out: the model says whether it was needed
    value, problem = read_date(parts, what=label)
    if problem is not None:
        raise ValueError(problem[1])
    return value.isoformat() if value else None


def _questions(f: FormField, form: FormData, errors: dict[str, str]) -> dict[str, bool]:
    """Each question's yes or no (`answers-<id>`); one message per question left out."""
    answers = {}
    for o in f.options:
        given = str(form.get(f"{f.name}-{o['value']}", ""))
        if given in ("yes", "no"):
            answers[str(o["value"])] = given == "yes"
        else:
            errors[f"{f.name}-{o['value']}"] = f"Select yes or no: {o['text']}"
    return answers


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


def _recommendation_line(line: str) -> dict[str, Any]:
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


def row_count(values: dict[str, Any] | FormData) -> int:
    """How many recommendation fieldsets the posted form had (at least one)."""
    rows = [int(m.group(1)) for k in values.keys() if (m := _ROW.match(k))]
    return min(max(rows, default=0) + 1, MAX_ROWS)


def _recommendation_rows(
    form: FormData, errors: dict[str, str], rows: list[int]
) -> list[dict[str, Any]] | None:
    """The repeatable fieldsets, skipping rows left empty; each problem named by its box."""
    kept = []
    for i in range(row_count(form)):
        box = {
            p: str(form.get(f"{REC}-{i}-{p}", "")).strip()
            for p in ("recipient_body", "action", "owner")
        }
        due_parts = [str(form.get(f"{REC}-{i}-due_on-{p}", "")).strip() for p in DATE_PARTS]
        if not any(box.values()) and not any(due_parts):
            continue
        rec: dict[str, Any] = {"recipient_body": box["recipient_body"], "action": box["action"]}
        if box["owner"]:
            rec["owner"] = box["owner"]
        n = len(kept) + 1
        try:
            due = _date(f"{REC}-{i}-due_on", f"The due date of recommendation {n}", form)
        except ValueError as exc:
            errors[f"{REC}-{i}-due_on"] = str(exc)
            due = None
        if due:
            rec["due_on"] = due
        rows.append(i)  # which fieldset, so a message can point at its boxes
        kept.append(rec)
    return kept or None


def rows_changed(form: FormData) -> dict[str, Any] | None:
    """With "Add another recommendation" or a "Remove" pressed (no scripts needed), the
    form's values with the rows changed; None when neither was pressed."""
    values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    if ADD_ROW in form:
        values.pop(ADD_ROW, None)
        values[f"{REC}-{row_count(form)}-recipient_body"] = ""
        return values
    removing = str(form.get(REMOVE_ROW, ""))
    if not removing.isdigit():
        return None
    gone, kept = int(removing), {}
    for key, value in values.items():
        m = _ROW.match(key)
        if key == REMOVE_ROW or (m and int(m.group(1)) == gone):
            continue
        if m and int(m.group(1)) > gone:
            key = f"{REC}-{int(m.group(1)) - 1}-{key[m.end() :]}"
        kept[key] = value
    return kept


# --- every problem at once, in GOV.UK words ------------------------------------------------


def check(
    fields: list[FormField],
    model: type[BaseModel] | None,
    data: dict[str, Any],
    errors: dict[str, str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The data ready for the engine, and every problem with it: the boxes that could not be
    read and everything the model refuses, one message per field, in the page's order."""
    rows: list[int] = getattr(data, "rows", [])
    if model is not None:
        readable = {k: v for k, v in data.items() if k not in errors}
        try:
            model.model_validate(readable)
        except ValidationError as exc:
            for e in exc.errors():
                name, message = _message(fields, e, rows)
                if name and not any(k == name or k.startswith(f"{name}-") for k in errors):
                    errors.setdefault(name, message)
    return data, in_page_order(fields, errors)


def _message(fields: list[FormField], e: Any, rows: list[int]) -> tuple[str, str]:
    loc = [str(p) for p in e["loc"]]
    by_name = {f.name: f for f in fields}
    f = by_name.get(loc[0]) if loc else None
    if f is None:
        return (fields[0].name if fields else "event"), str(e["msg"])
    if f.kind == "recommendations" and len(loc) >= 3 and loc[1].isdigit():
        n = int(loc[1])
        row = rows[n] if n < len(rows) else n
        part = loc[2]
        label, what = RECOMMENDATION_PARTS.get(part, (part, part))
        what = what.format(n=n + 1)
        name = f"{REC}-{row}-{part}"
        if e["type"] in ("missing", "string_too_short"):
            return name, f"Enter {what}"
        if e["type"] == "string_too_long":
            return (
                name,
                f"{what[0].upper()}{what[1:]} must be {e['ctx']['max_length']} characters or fewer",
            )
        return name, f"Enter {what}"
    return f.name, field_message(f, e["type"], e.get("ctx") or {})


def field_message(f: FormField, kind: str, ctx: dict[str, Any]) -> str:
    what = f.what or f"the {f.label.lower()}"
    choose = f.kind in ("radios", "checkbox") or (f.kind == "number" and f.name == "recommendation")
    if kind in ("missing", "string_too_short", "too_short", "literal_error", "enum"):
        if f.kind == "lines" or kind == "too_short" and f.kind != "recommendations":
            return f"Enter {what}"
        return f"{'Select' if choose else 'Enter'} {what}"
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        unit = "characters" if kind == "string_too_long" else "lines"
        return f"{f.label} must be {limit} {unit} or fewer"
    if kind.startswith("date"):
        return f"{f.label} must be a real date"
    if kind.startswith("int") or kind == "greater_than_equal":
        return f"Select {what}" if choose else f"{f.label} must be a whole number"
    if kind == "value_error" and f.name.endswith("email"):
        return f"Enter {what} in the correct format, like name@example.com"
    return f"Enter {what}"


def in_page_order(fields: list[FormField], errors: dict[str, str]) -> dict[str, str]:
    """The errors in the order their boxes come on the page (a revealed box under its choice)."""
    order: list[str] = []
    for f in fields:
        if f.revealed:
            continue
        order.append(f.name)
        order.extend(f.reveals.values())
    rank = {name: i for i, name in enumerate(order)}

    asked = {f"{f.name}-{o['value']}": (f.name, i) for f in fields for i, o in enumerate(f.options)}

    def key(name: str) -> tuple[int, int, int]:
        if name in asked:  # one question of a set: under its field, in the set's order
            base, n = asked[name]
            return (rank.get(base, len(rank)), n, 0)
        m = _ROW.match(name)
        base = REC if m else name
        part = name[m.end() :] if m else ""
        parts = list(RECOMMENDATION_PARTS)
        return (
            rank.get(base, len(rank)),
            int(m.group(1)) if m else 0,
            parts.index(part) if part in parts else 0,
        )

    return {name: errors[name] for name in sorted(errors, key=key)}


def field_of(engine_field: str | None, fields: list[FormField]) -> str:
    """The form field an engine error names ("data.reasons" or "reasons" → "reasons"; one
    question of a set, "data.answers.repeat" → "answers-repeat")."""
    names = [f.name for f in fields]
    by_name = {f.name: f for f in fields}
    parts = (engine_field or "").split(".")
    for i, part in enumerate(parts):
        if part in names:
            f = by_name[part]
            asked = {str(o["value"]) for o in f.options}
            if f.kind == "questions" and i + 1 < len(parts) and parts[i + 1] in asked:
                return f"{part}-{parts[i + 1]}"
            return part
    return names[0] if names else "event"


def engine_errors(fields: list[FormField], errors: list[dict[str, Any]]) -> dict[str, str]:
    """The engine's refusals as one message per field, in page order."""
    found: dict[str, str] = {}
    for e in errors:
        found.setdefault(field_of(e.get("field"), fields), e["message"])
    return in_page_order(fields, found)


def anchor(f_kind: str | None, name: str) -> str:
    """The id an error links to: a date's day box; a radio group's first radio; else the box."""
    if f_kind == "date" or name.endswith("-due_on"):
        return f"{name}-day"
    return name


def _anchors(fields: list[FormField]) -> dict[str, str]:
    """Each field's kind, and each question of a set as a radio group of its own."""
    kinds = {f.name: f.kind for f in fields}
    for f in fields:
        for o in f.options:
            kinds[f"{f.name}-{o['value']}"] = "radios"
    return kinds


def event_form_context(
    actor: Any, found: dict[str, Any], values: dict[str, Any], errors: dict[str, str], version: int
) -> dict[str, Any]:
    """What every event form page shows: its fields with the values given, the errors (one
    link each, in page order: a date to its day box), the case version and the way back."""
    fields = fields_for(found["model"], found["event"], found.get("choices"))
    kinds = _anchors(fields)
    by_name = {f.name: f for f in fields}
    ordered = in_page_order(fields, errors)
    return {
        "actor": actor,
        "found": found,
        "fields": fields,
        "fields_by_name": by_name,
        "values": values,
        "errors": ordered or None,
        "error_list": [
            {"text": m, "href": f"#{anchor(kinds.get(n), n)}"} for n, m in ordered.items()
        ],
        "rows": range(row_count(values)),
        "choices_from_case": found["case"].get("recommendations", []),
        "version": version,
        "back_url": f"/staff/cases/{found['case']['reference']}",
    }
