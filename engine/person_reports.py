"""Loads one person's reports for a threshold check, through the complainant index."""

from __future__ import annotations

import calendar
import hashlib
from datetime import date

from sqlalchemy import Select, select
from sqlmodel import Session

from engine.models import Report
from engine.threshold import ReportFacts

# The six-month window of s.104 plus a month of slack: a report older than this cannot count,
# whatever day of the month the application falls on.
# The report audit's actions when a second report prompts staff to explain the case review.
PROMPT_SHOWN = "case_review_prompt_shown"
EXPLAINED = "case_review_explained"
LOOKBACK_MONTHS = 7


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier, or that month's last day when it is shorter."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def person_reports_query(
    complainant_key: str, application_date: date, *, months: int = LOOKBACK_MONTHS
) -> Select:  # type: ignore[type-arg]
    """The reports one person made in the window before the application, oldest first.

    Equality on `complainant_key` and a range on `reported_on` match the leading columns of
    `ix_report_complainant_reported`, which also yields the rows in `reported_on` order.
    """
    return (
        select(
            Report.incident_key,
            Report.incident_on,
            Report.reported_on,
            Report.agency,
            Report.complainant_key,
        )
        .where(
            Report.complainant_key == complainant_key,
            Report.reported_on >= months_before(application_date, months),
            Report.reported_on <= application_date,
        )
        .order_by(Report.reported_on, Report.id)  # type: ignore[arg-type]
    )


def load_person_reports(
    session: Session,
    complainant_key: str,
    application_date: date,
    *,
    months: int = LOOKBACK_MONTHS,
) -> list[ReportFacts]:
    """One person's reports in the window, as facts for `engine.threshold.assess`."""
    rows = session.execute(person_reports_query(complainant_key, application_date, months=months))
    return [
        ReportFacts(
            incident=incident_key,
            incident_on=incident_on,
            reported_on=reported_on,
            agency=agency,
            complainant=complainant,
        )
        for incident_key, incident_on, reported_on, agency, complainant in rows
    ]


def complainant_key(
    *, email: str | None = None, name: str | None = None, postcode: str | None = None
) -> str | None:
    """Ties one person's reports together across cases, complaints and imports.

    Keyed on the email address when there is one, else on name and postcode together; only a
    hash is kept. None when neither is known (the caller picks a key of its own).
    """
    if email and email.strip():
        return "email:" + digest(email.strip().lower())
    if name and name.strip() and postcode and postcode.strip():
        return "person:" + digest(f"{squash(name)}|{squash(postcode)}")
    return None


def squash(text: str) -> str:
    return "".join(text.lower().split())


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]
