"""Request and response models of the JSON API (*In and *Out)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from engine import registry
from engine.inputs import NoNulModel

Key = Annotated[
    str,
    # An int key is kept as text; a boolean (an int to Python) is refused as the schema says.
    BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
    Field(min_length=1, max_length=80),
]


class _In(NoNulModel):
    model_config = ConfigDict(extra="forbid")


class ThresholdReportIn(_In):
    incident: Key
    incident_date: date
    reported_date: date
    agency: Literal["council", "police", "health", "housing", "other"]
    complainant: Key = "applicant"


class ThresholdCheckIn(_In):
    area: str = Field(
        min_length=1, max_length=40, json_schema_extra=registry.schema_enum(registry.area_ids)
    )
    application_date: date
    hate_incident: bool = False
    reports: list[ThresholdReportIn] = Field(max_length=500)


class ReportFindingOut(BaseModel):
    index: int
    counted: bool
    reason: str


class ThresholdCheckOut(BaseModel):
    met: bool
    route: Literal["three_incidents", "three_complainants", "hate_incident"] | None
    reports: list[ReportFindingOut]
    explanation: str


class ApplicationOut(BaseModel):
    reference: str
    status_token: str
    status_url: str
    state: str


class EventIn(BaseModel):
    # Not a NoNulModel: `data` is checked by the event's own model, which names the field.
    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1, max_length=60)
    version: int = Field(ge=1, strict=True)
    data: dict[str, Any] = Field(default_factory=dict)


class EventOut(BaseModel):
    reference: str
    state: str
    version: int
    events: list[str]


class FigureCountsOut(BaseModel):
    """The four figures s.104 makes every area publish."""

    applications: int
    threshold_not_met: int
    reviews: int
    reviews_with_recommendations: int


class FiguresOut(BaseModel):
    area: str
    year: int = Field(description="The financial year beginning in April of this year.")
    localities: dict[str, FigureCountsOut]
    total: FigureCountsOut
