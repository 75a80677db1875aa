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
from engine.models.equalities import EqualitiesHeld, EqualitiesResponse
from engine.models.feedback import Feedback, StaffDraft
from engine.models.form_session import FormSession
from engine.models.ops import IdempotentRequest, WorkerHeartbeat
from engine.models.org import Area, Group, Locality, Partnership
from engine.models.outbox import OutboxMessage
from engine.models.people import CaseSubject, Person, Place
from engine.models.privacy import CaseRetention, CaseView, PrivacyEvent
from engine.models.search import CaseSearchTerm
from engine.models.staff_audit import StaffAuditEvent
from engine.models.users import ApiToken, RoleGrant, SignInThrottle, StaffSession, User

__all__ = [
    "ApiToken",
    "Area",
    "AuditEvent",
    "Case",
    "CaseSearchTerm",
    "CaseSubject",
    "CaseRetention",
    "CaseView",
    "Deadline",
    "DeadlineSchedule",
    "Document",
    "EqualitiesHeld",
    "EqualitiesResponse",
    "Feedback",
    "FormSession",
    "Group",
    "IdempotentRequest",
    "Incident",
    "Locality",
    "OutboxMessage",
    "Partnership",
    "Party",
    "Person",
    "Place",
    "PrivacyEvent",
    "Recommendation",
    "ReferenceCounter",
    "Report",
    "ReportAudit",
    "RoleGrant",
    "SignInThrottle",
    "StaffAuditEvent",
    "StaffDraft",
    "StaffSession",
    "User",
    "WorkerHeartbeat",
]
