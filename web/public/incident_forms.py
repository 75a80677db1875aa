"""Parsing an incident and its reports (the application's pages and the pre-check's)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from web.public import forms
from web.public.answers import AGENCIES, CHARACTERISTICS
from web.public.forms import Errors, Form
from web.public.templating import short_date

Incident = dict[str, Any]
NOT_HATE = "none"
Report = dict[str, Any]


def new_id() -> str:
    return secrets.token_hex(4)


def _first_report_date(incident: Incident | None) -> date | None:
    dates = [date.fromisoformat(r["date"]) for r in (incident or {}).get("reports") or []]
    return min(dates, default=None)


def _happened(form: Form, errors: Errors, today: date, incident: Incident | None) -> date | None:
    happened = forms.day_month_year(form, "date", errors, what="the date it happened", today=today)
    first = _first_report_date(incident)
    if happened and first and happened > first:
        errors["date-day"] = (
            f"The date it happened must be the same as or before the date you first "
            f"reported it ({short_date(first)})"
        )
        return None
    return happened


def parse_incident(form: Form, today: date, incident: Incident | None) -> tuple[Incident, Errors]:
    """The incident page: when, where, what happened, and whether it was a hate incident."""
    errors = Errors()
    happened = _happened(form, errors, today, incident)
    place = forms.text(form, "place", errors, what="Where it happened", max_length=500)
    description = forms.text(
        form,
        "description",
        errors,
        what="What happened",
        max_length=5000,
        required="Enter what happened",
    )
    picked = [c for c in _getlist(form, "because") if c in CHARACTERISTICS or c == NOT_HATE]
    if not picked:
        errors["because"] = "Select what you think it happened because of, or select no"
    elif NOT_HATE in picked and len(picked) > 1:
        errors["because"] = "Select what you think it happened because of, or select no, not both"
    hate = None if errors.get("because") else ("no" if picked == [NOT_HATE] else "yes")
    updated = dict(incident or {"id": new_id(), "reports": []})
    updated |= {
        "date": happened.isoformat() if happened else None,
        "place": place,
        "description": description,
        "hate": hate,
        "characteristics": [c for c in picked if c != NOT_HATE] if hate == "yes" else [],
    }
    return updated, errors


def parse_report(
    form: Form, today: date, incident: Incident, report: Report | None
) -> tuple[Report, Errors]:
    """A report of the incident: to whom, when, and any reference number."""
    errors = Errors()
    agency = forms.choice(
        form, "agency", errors, options=AGENCIES, required="Select who you reported it to"
    )
    reported = forms.day_month_year(
        form, "date", errors, what="the date you reported it", today=today
    )
    happened = date.fromisoformat(incident["date"]) if incident.get("date") else None
    if reported and happened and reported < happened:
        errors["date-day"] = (
            f"The date you reported it must be the same as or after the date it happened "
            f"({short_date(happened)})"
        )
    reference = forms.text(form, "reference", errors, what="Reference number", max_length=80)
    officer = forms.text(form, "officer", errors, what="Name", max_length=200)
    updated = dict(report or {"id": new_id()})
    updated |= {
        "agency": agency,
        "date": reported.isoformat() if reported else None,
        "reference": reference,
        "officer": officer,
    }
    return updated, errors


def parse_quick_incident(
    form: Form, today: date, incident: Incident | None
) -> tuple[Incident, Errors]:
    """The pre-check's incident: when it happened, and to whom and when it was first reported."""
    errors = Errors()
    happened = forms.day_month_year(form, "date", errors, what="the date it happened", today=today)
    agency = forms.choice(
        form, "agency", errors, options=AGENCIES, required="Select who you reported it to"
    )
    reported = forms.day_month_year(
        form, "reported", errors, what="the date you reported it", today=today
    )
    if happened and reported and reported < happened:
        errors["reported-day"] = (
            "The date you reported it must be the same as or after the date it happened"
        )
    updated = dict(incident or {"id": new_id()})
    reports = [dict(r) for r in updated.get("reports") or [{"id": new_id()}]]
    reports[0] |= {"agency": agency, "date": reported.isoformat() if reported else None}
    updated |= {"date": happened.isoformat() if happened else None, "reports": reports}
    return updated, errors


def _getlist(form: Form, name: str) -> list[str]:
    getlist = getattr(form, "getlist", None)
    if getlist is not None:
        return [str(v) for v in getlist(name)]
    value = form.get(name)
    return [value] if value else []


def parse_other(
    form: Form, today: date, incident: Incident, other: Report | None
) -> tuple[Report, Errors]:
    """Someone else who reported the incident: who, to whom, when, and whether we may
    contact them (their details are kept only if they agreed)."""
    errors = Errors()
    name = forms.text(
        form,
        "name",
        errors,
        what="Their name",
        max_length=200,
        required="Enter their name, or who they are, like a neighbour at number 12",
    )
    agency = forms.choice(
        form, "agency", errors, options=AGENCIES, required="Select who they reported it to"
    )
    reported = forms.day_month_year(
        form, "date", errors, what="the date they reported it", today=today
    )
    happened = date.fromisoformat(incident["date"]) if incident.get("date") else None
    if reported and happened and reported < happened:
        errors["date-day"] = (
            f"The date they reported it must be the same as or after the date it happened "
            f"({short_date(happened)})"
        )
    consent = forms.choice(
        form,
        "consent",
        errors,
        options=("yes", "no"),
        required="Select yes if they agreed to us contacting them",
    )
    email = phone = None
    if consent == "yes":
        if forms.clean(form.get("email")):
            email = forms.email(form, "email", errors, required="Enter their email address")
        if forms.clean(form.get("phone")):
            phone = forms.phone(form, "phone", errors, required="Enter their phone number")
    elif consent == "no" and (forms.clean(form.get("email")) or forms.clean(form.get("phone"))):
        errors["email"] = (
            "Leave their email and phone empty, or select yes if they agreed to us contacting them"
        )
    updated = dict(other or {"id": new_id()})
    updated |= {
        "name": name,
        "agency": agency,
        "date": reported.isoformat() if reported else None,
        "consent": consent,
        "email": email,
        "phone": phone,
    }
    return updated, errors
