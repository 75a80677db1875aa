"""The application's input model: what a victim or their representative tells us."""

from __future__ import annotations

import datetime as dt
import typing
from typing import Literal

from pydantic import ConfigDict, EmailStr, Field

from engine import registry
from engine.inputs import NoNulModel

# Who a report was made to (engine.threshold.AGENCIES): the area decides which are relevant
# bodies whose reports count; "other" never does.
Agency = Literal["council", "police", "health", "housing", "other"]
AGENCIES = typing.get_args(Agency)
# The ways staff take an application for someone (everything but the online form).
STAFF_CHANNELS = ("phone", "paper", "in_person", "representative")


class _In(NoNulModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReportIn(_In):
    agency: Agency
    reported_date: dt.date
    reference: str | None = Field(default=None, max_length=80)
    channel: str | None = Field(default=None, max_length=30)
    officer: str | None = Field(default=None, max_length=200)


class OtherReporterIn(_In):
    """Someone other than the applicant who reported the same incident (s.104(3)(b))."""

    name: str = Field(min_length=1, max_length=200)  # their name, or "a neighbour"
    agency: Agency
    reported_date: dt.date
    # Only with their agreement to be contacted about the case review.
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    contact_consent: bool = False


class IncidentIn(_In):
    date: dt.date
    time: dt.time | None = None
    place: str | None = Field(default=None, max_length=500)
    description: str = Field(min_length=1, max_length=5000)
    hate_incident: bool = False
    perceived_characteristic: str | None = Field(default=None, max_length=100)
    reports: list[ReportIn] = Field(min_length=1, max_length=20)
    other_reporters: list[OtherReporterIn] = Field(default_factory=list, max_length=20)


class PersonIn(_In):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=1000)
    postcode: str | None = Field(default=None, max_length=10)


class ApplicantIn(PersonIn):
    role: Literal["victim", "representative", "professional", "group"] = "victim"


class ApplicationIn(_In):
    locality: str = Field(
        min_length=1,
        max_length=60,
        json_schema_extra=registry.schema_enum(registry.locality_ids),
    )
    applicant: ApplicantIn
    victim: PersonIn | None = None
    consent_detail: str | None = Field(default=None, max_length=2000)
    consent_to_share: bool
    declaration: bool
    incidents: list[IncidentIn] = Field(min_length=1, max_length=50)
    hate_incident: bool = False
    contact_preference: Literal["email", "phone", "post"] = "email"
    # Asked of everyone who gives a phone number: someone else may read their texts.
    texts_safe: bool = False
    accessibility_needs: str | None = Field(default=None, max_length=2000)
    impact: str | None = Field(default=None, max_length=5000)
    vulnerabilities: str | None = Field(default=None, max_length=5000)
    outcome_wanted: str | None = Field(default=None, max_length=5000)
    involvement: Literal["attend", "representative", "impact_statement", "none"] | None = None
    route_claimed: Literal["three_incidents", "three_complainants", "hate_incident"] | None = None
    # How it reached us: online by the applicant; the others typed in by staff for them.
    channel: Literal["online", "phone", "paper", "in_person", "representative"] = "online"
