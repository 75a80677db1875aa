"""One Jinja environment for messages: render(name, context) -> subject and text."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined

from notifications.channels import Rendered


@cache
def _env() -> Environment:
    return Environment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template_names() -> set[str]:
    folder = resources.files("notifications").joinpath("templates")
    return {p.name.removesuffix(".txt") for p in folder.iterdir() if p.name.endswith(".txt")}


def render(name: str, context: dict[str, Any]) -> Rendered:
    source = resources.files("notifications").joinpath("templates", f"{name}.txt")
    subject, _, body = source.read_text("utf-8").partition("\n---\n")
    env = _env()
    return Rendered(
        subject=env.from_string(subject.strip()).render(**context).strip(),
        text=env.from_string(body).render(**context),
    )
