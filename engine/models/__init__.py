"""Every table, re-exported so Alembic and the engine see one metadata."""

from engine.models.audit import AuditEvent
from engine.models.case import (
    Case,
    Deadline,
    DeadlineSchedule,
    Incident,
    Party,
    Recommendation,
    ReferenceCounter,
    Report,
)
from engine.models.complaint import ReportAudit
from engine.models.document import Document
from engine.models.equalities import EqualitiesResponse
from engine.models.form_session import FormSession
from engine.models.org import Area, Group, Locality, Partnership
from engine.models.outbox import OutboxMessage
from engine.models.users import ApiToken, RoleGrant, SignInThrottle, StaffSession, User

__all__ = [
    "ApiToken",
    "Area",
    "AuditEvent",
    "Case",
    "Deadline",
    "DeadlineSchedule",
    "Document",
    "EqualitiesResponse",
    "FormSession",
    "Group",
    "Incident",
    "Locality",
    "OutboxMessage",
    "Partnership",
    "Party",
    "Recommendation",
    "ReferenceCounter",
    "Report",
    "ReportAudit",
    "RoleGrant",
    "SignInThrottle",
    "StaffSession",
    "User",
]
