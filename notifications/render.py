"""One Jinja environment for messages: render(name, context) -> subject, text and HTML.

Each message's words live in one file, `templates/<name>.txt` (subject, a line `---`, then
the body). The HTML part of an e-mail is that same text in `templates/_layout.html`, so the
plain-text and HTML versions can never say different things; a message that needs more
than paragraphs and links may add its own `templates/<name>.html`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from engine import registry
from notifications.channels import Rendered

_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_URL = re.compile(r"https?://[^\s<]+")


def long_date(value: str | date) -> str:
    """2026-03-03 -> Tuesday 3 March 2026 (English names whatever the locale)."""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def clock_time(value: str | None) -> str:
    """14:00 -> 2pm, 09:30 -> 9:30am (GOV.UK style); "" when no time was given."""
    if not value:
        return ""
    hour, _, minute = str(value)[:5].partition(":")
    h, m = int(hour), int(minute or 0)
    suffix = "am" if h < 12 else "pm"
    if (h, m) == (12, 0):
        return "midday"
    h12 = h % 12 or 12
    return f"{h12}{suffix}" if m == 0 else f"{h12}:{m:02d}{suffix}"


def _linkify(text: str) -> Markup:
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))


@cache
def _env(autoescape: bool) -> Environment:
    env = Environment(
        # Shared pieces (`_reach.txt`: who the named contact is and how to follow the case).
        loader=FunctionLoader(lambda name: _folder().joinpath(name).read_text("utf-8")),
        undefined=StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    env.filters["linkify"] = _linkify
    env.filters["clock_time"] = clock_time
    env.filters["place"] = place
    return env


def place(locality_id: str) -> str:
    """A locality's name as its area's configuration gives it ("Hinckley & Bosworth"), not
    its id made into words; an id no area knows is made into words."""
    try:
        return registry.locality_area(locality_id).localities[locality_id].name
    except (KeyError, LookupError):
        return locality_id.replace("-", " ").title()


def _folder() -> Any:
    return resources.files("notifications").joinpath("templates")


def template_names() -> set[str]:
    names = (p.name for p in _folder().iterdir())
    return {n.removesuffix(".txt") for n in names if n.endswith(".txt") and not n.startswith("_")}


@cache
def _compiled(name: str) -> tuple[Template, Template, Template]:
    """Subject, text and HTML templates of one message, compiled once per process."""
    subject, _, body = _folder().joinpath(f"{name}.txt").read_text("utf-8").partition("\n---\n")
    own_html = _folder().joinpath(f"{name}.html")
    html_source = own_html.read_text("utf-8") if own_html.is_file() else None
    layout = _folder().joinpath("_layout.html").read_text("utf-8")
    return (
        _env(False).from_string(subject.strip()),
        _env(False).from_string(body),
        _env(True).from_string(html_source or layout),
    )


def _notes(context: dict[str, Any]) -> str:
    """Paragraphs put before any reminder the sweep flagged (engine.sweeps): sent to the
    managers because nobody holds the role, or sent late after the worker was away."""
    notes = []
    if context.get("unheld"):
        notes.append(
            f"You are getting this because {context['unheld']}. Please give the role to"
            " someone, or do this step yourself."
        )
    if context.get("late") and context.get("step_date"):
        notes.append(
            f"This message is late: it should have gone on {long_date(context['step_date'])},"
            " while reminders were not being sent."
        )
    return "".join(f"{n}\n\n" for n in notes)


def render(name: str, context: dict[str, Any]) -> Rendered:
    """The message `name` filled in with `context` (a missing value is an error, not a blank).

    A message carrying a decision letter gets `letter_text` and `letter_html` in its context
    (notifications/addresses.py): its body is the letter's text, its HTML the letter.
    """
    full = {"promised": {}, "case_url": "", "status_root": "", "letter_html": "", **context}
    subject_t, text_t, html_t = _compiled(name)
    subject = subject_t.render(**full).strip()
    text = _notes(context) + text_t.render(**full)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    html = html_t.render(
        subject=subject,
        paragraphs=paragraphs,
        **{**full, "letter_html": Markup(full["letter_html"])},
    )
    return Rendered(subject=subject, text=text, html=html)
