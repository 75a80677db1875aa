"""The application's input model: what a victim or their representative tells us."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, EmailStr, Field

from engine import registry
from engine.inputs import NoNulModel

AGENCIES = ("council", "police", "housing", "other")
# The ways staff take an application for someone (everything but the online form).
STAFF_CHANNELS = ("phone", "paper", "in_person", "representative")


class _In(NoNulModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReportIn(_In):
    agency: Literal["council", "police", "housing", "other"]
    reported_date: dt.date
    reference: str | None = Field(default=None, max_length=80)
    channel: str | None = Field(default=None, max_length=30)
    officer: str | None = Field(default=None, max_length=200)


class IncidentIn(_In):
    date: dt.date
    time: dt.time | None = None
    place: str | None = Field(default=None, max_length=500)
    description: str = Field(min_length=1, max_length=5000)
    hate_incident: bool = False
    perceived_characteristic: str | None = Field(default=None, max_length=100)
    reports: list[ReportIn] = Field(min_length=1, max_length=20)


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
    accessibility_needs: str | None = Field(default=None, max_length=2000)
    impact: str | None = Field(default=None, max_length=5000)
    vulnerabilities: str | None = Field(default=None, max_length=5000)
    outcome_wanted: str | None = Field(default=None, max_length=5000)
    involvement: Literal["attend", "representative", "impact_statement", "none"] | None = None
    route_claimed: Literal["three_incidents", "three_complainants", "hate_incident"] | None = None
    # How it reached us: online by the applicant; the others typed in by staff for them.
    channel: Literal["online", "phone", "paper", "in_person", "representative"] = "online"
