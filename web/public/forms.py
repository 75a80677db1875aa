"""Parsing the public form's fields, with GOV.UK error messages written for the person."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email

from engine.services import postcodes

Form = Mapping[str, str]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{10,20}$")
_MONTHS = {
    name: number
    for number, full in enumerate(
        "january february march april may june july august september october november "
        "december".split(),
        start=1,
    )
    for name in (full, full[:3])
}


class Errors(dict[str, str]):
    """Field name -> message, in the order the fields appear on the page."""

    def summary(self) -> list[dict[str, str]]:
        return [{"text": message, "href": f"#{name}"} for name, message in self.items()]


def clean(value: str | None) -> str:
    """Text as typed, less invisible control characters and surrounding space.

    HTML is kept as text: it is escaped wherever it is shown, never stripped or refused.
    """
    return _CONTROL.sub("", (value or "").replace("\r\n", "\n")).strip()


def text(
    form: Form,
    name: str,
    errors: Errors,
    *,
    what: str,
    max_length: int,
    required: str | None = None,
) -> str | None:
    """A text answer; `required` is the message when it is left empty."""
    value = clean(form.get(name))
    if not value:
        if required:
            errors[name] = required
        return None
    if len(value) > max_length:
        errors[name] = f"{what} must be {max_length:,} characters or fewer"
        return None
    return value


def choice(
    form: Form, name: str, errors: Errors, *, options: Iterable[str], required: str
) -> str | None:
    value = form.get(name, "")
    if value not in set(options):
        errors[name] = required
        return None
    return value


def email(form: Form, name: str, errors: Errors, *, required: str) -> str | None:
    value = text(form, name, errors, what="Email address", max_length=254, required=required)
    if value is None:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        errors[name] = "Enter an email address in the correct format, like name@example.com"
        return None


def phone(form: Form, name: str, errors: Errors, *, required: str) -> str | None:
    value = text(form, name, errors, what="Phone number", max_length=40, required=required)
    if value is None:
        return None
    digits = re.sub(r"\D", "", value)
    if not _PHONE.match(value) or not 10 <= len(digits) <= 15:
        errors[name] = "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
        return None
    return value


def postcode(form: Form, name: str, errors: Errors) -> str | None:
    raw = clean(form.get(name))
    if not raw:
        errors[name] = "Enter a postcode"
        return None
    normal = postcodes.normalise(raw)
    if normal is None:
        errors[name] = "Enter a real postcode, like LE1 6ZG"
    return normal


def day_month_year(form: Form, name: str, errors: Errors, *, what: str, today: date) -> date | None:
    """A GOV.UK date input (`name-day`, `name-month`, `name-year`): a real date, not future.

    `what` completes "Enter …" and "… must be a real date", e.g. "the date it happened".
    """
    parts = (form.get(f"{name}-day"), form.get(f"{name}-month"), form.get(f"{name}-year"))
    value, problem = read_date(parts, what=what, today=today)
    if problem is not None:
        part, message = problem
        return _date_error(errors, name, part, message)
    return value


def read_date(
    parts: Iterable[str | None], *, what: str, today: date | None = None
) -> tuple[date | None, tuple[str, str] | None]:
    """The date in a GOV.UK date input's day, month and year boxes, or what is wrong with
    it: (the box to point at, the message). All three empty is "Enter …" (where the date
    may be left out, check that first). With `today`, a later date is refused. A month may
    be written as a number or a name ("3", "Mar", "March")."""
    day_text, month_text, year_text = (clean(p) for p in parts)
    given = {"day": day_text, "month": month_text, "year": year_text}
    missing = [p for p, v in given.items() if not v]
    if len(missing) == 3:
        return None, ("day", f"Enter {what}")
    if missing:
        return None, (missing[0], f"{_cap(what)} must include a {' and '.join(missing)}")
    day, month, year = _number(day_text), _month(month_text), _number(year_text)
    if year is not None and len(year_text) != 4:
        return None, ("year", "Year must include 4 numbers")
    try:
        value = date(year or 0, month or 0, day or 0)
    except (ValueError, TypeError):
        return None, ("day", f"{_cap(what)} must be a real date")
    if today is not None and value > today:
        return None, ("day", f"{_cap(what)} must be today or in the past")
    return value, None


def _date_error(errors: Errors, name: str, part: str, message: str) -> None:
    errors[f"{name}-{part}"] = message
    return None


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 4 else None


def _month(value: str) -> int | None:
    return _number(value) or _MONTHS.get(value.lower().rstrip("."))


def _cap(words: str) -> str:
    return words[:1].upper() + words[1:]


def date_error_for(errors: Errors, name: str) -> str | None:
    """The message for a date input as a whole (the macro shows one message for 3 boxes)."""
    return next((m for k, m in errors.items() if k.startswith(f"{name}-")), None)


def form_values(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Saved answers in the shape the page's fields expect (ISO dates split into parts)."""
    values: dict[str, Any] = dict(stored)
    for key, value in stored.items():
        if isinstance(value, str) and _ISO_DATE.match(value):
            d = date.fromisoformat(value)
            values |= {f"{key}-day": str(d.day), f"{key}-month": str(d.month)}
            values[f"{key}-year"] = str(d.year)
    return values
