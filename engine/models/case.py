"""A case of any workflow and what belongs to it: parties, incidents, reports, deadlines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class Case(SQLModel, table=True):
    __tablename__ = "case_record"
    __table_args__ = (
        Index("ix_case_locality_state", "locality_id", "state"),
        # /staff/cases lists newest first, 50 at a time: read in order, never sorted whole.
        Index("ix_case_submitted", "submitted_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True)
    area_id: str = Field(foreign_key="area.id", max_length=40)
    locality_id: str = Field(foreign_key="locality.id", max_length=60)
    workflow_name: str = Field(max_length=60)
    workflow_version: int
    state: str = Field(max_length=60)
    version: int = 1
    submitted_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
    closure_reason: str | None = Field(default=None, max_length=40)
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The named point of contact a manager chose for this case (any workflow's case has one
    # owner on the staff side); None: the locality's first appointed contact.
    contact_user_id: int | None = Field(default=None, foreign_key="app_user.id")


# What a workflow keeps about its own cases lives in its package's detail table (keyed by
# case_record.id, registered as WorkflowPackage.detail_model); the generic case above holds
# only what every workflow's case has. Migration 0013_detail moved the columns.


class ReferenceCounter(SQLModel, table=True):
    """The last reference number used per workflow prefix and year (engine/references.py)."""

    __tablename__ = "reference_counter"
    prefix: str = Field(primary_key=True, max_length=10)
    year: int = Field(primary_key=True)
    last_number: int = 0


class Party(SQLModel, table=True):
    """A person on the case: the applicant, the victim if different, a representative."""

    __tablename__ = "party"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    kind: str = Field(max_length=20)
    role: str | None = Field(default=None, max_length=30)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = None
    postcode: str | None = Field(default=None, max_length=10)
    consent_detail: str | None = None


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    seq: int
    occurred_on: date
    place: str | None = None
    description: str
    hate_incident: bool = False
    perceived_characteristic: str | None = Field(default=None, max_length=100)


class Report(SQLModel, table=True):
    """A complaint of ASB to an agency; several reports may share one incident.

    Imported (Sentinel) reports have no case; `complainant_key` ties a person's reports
    together so the threshold can be checked across everything agencies recorded.
    """

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_complainant_reported", "complainant_key", "reported_on"),
        # A Sentinel record is loaded once per area: a second import of it adds nothing.
        Index("ux_report_sentinel", "area_id", "sentinel_ref", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case_record.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    incident_key: str = Field(max_length=80)
    complainant_key: str = Field(max_length=120)
    incident_on: date
    reported_on: date
    agency: str = Field(max_length=40)
    reference: str | None = Field(default=None, max_length=80)
    channel: str | None = Field(default=None, max_length=30)
    officer: str | None = Field(default=None, max_length=200)
    # Someone other than the applicant who reported the incident ("Jane Smith", "a
    # neighbour"); None for the applicant's own reports. Their email or phone is kept only
    # when they agreed to be contacted (migration 0011).
    reporter: str | None = Field(default=None, max_length=200)
    reporter_contact: str | None = Field(default=None, max_length=300)
    # Imported from Sentinel (migration 0013_sentinel): the record's own reference, where
    # the incident was, and the person and place Sentinel linked it to. None otherwise.
    sentinel_ref: str | None = Field(default=None, max_length=80)
    area_id: str | None = Field(default=None, foreign_key="area.id", max_length=40)
    locality_id: str | None = Field(default=None, foreign_key="locality.id", max_length=60)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    place_id: int | None = Field(default=None, foreign_key="place.id")


# A new deadline's next action: "as soon as the sweep sees it", when its plan is worked out.
PLAN_ON_NEXT_SWEEP = date(2000, 1, 1)


class Deadline(SQLModel, table=True):
    __tablename__ = "deadline"
    __table_args__ = (
        Index(
            "ix_deadline_open_due",
            "due_on",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_deadline_case", "case_id", "status"),
        # The work queues: a locality's cases, then each one's open deadlines from the index
        # alone (on PostgreSQL the queue's columns ride along). Migration 0009.
        Index(
            "ix_deadline_open_case",
            "case_id",
            postgresql_include=["id", "kind", "owner_role", "name", "label", "due_on"],
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id")
    name: str = Field(max_length=60)
    kind: str = Field(default="duty", max_length=10)
    owner_role: str = Field(max_length=40)
    start_on: date
    amount: int
    unit: str = Field(max_length=20)
    due_on: date
    status: str = Field(default="open", max_length=20)
    opened_at: datetime = Field(sa_column=utc_column())
    opened_by: str = Field(max_length=60)
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_by: str | None = Field(default=None, max_length=60)
    # For a deadline about one item (a recommendation): what it is called on its own, and
    # which item it is ("recommendation:2"); None for the workflow's single clocks.
    label: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=60)


class DeadlineSchedule(SQLModel, table=True):
    """Where a deadline's reminders and escalations have got to: one row per deadline.

    Kept apart from the deadline so that the sweep, which moves these on in thousands,
    writes a narrow row and its two index entries, not the deadline's row and its five
    (on PostgreSQL an update that changes an indexed column rewrites every index's entry).
    """

    __tablename__ = "deadline_schedule"
    __table_args__ = (
        # The sweep reads only the deadlines whose next action is due: its cost follows the
        # work due today, not the number of deadlines waiting in the future.
        Index(
            "ix_deadline_schedule_due",
            "next_action_on",
            postgresql_where=text("next_action_on IS NOT NULL"),
            sqlite_where=text("next_action_on IS NOT NULL"),
        ),
    )
    deadline_id: int = Field(foreign_key="deadline.id", primary_key=True)
    # The date of the next reminder or escalation; None once every step is done, or once
    # the sweep has found the deadline closed.
    next_action_on: date | None = Field(default=PLAN_ON_NEXT_SWEEP)
    # The last reminder or escalation step done ("remind_2", "overdue_0"...), so a sweep
    # never does it twice.
    reminder_step: str | None = Field(default=None, max_length=20)


class Recommendation(SQLModel, table=True):
    __tablename__ = "recommendation"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    seq: int
    recipient_body: str = Field(max_length=200)
    action: str
    owner: str | None = Field(default=None, max_length=200)
    due_on: date | None = None
    status: str = Field(default="open", max_length=20)
    note: str | None = None
    updated_at: datetime = Field(sa_column=utc_column())
    # Live from the response that issued it; None while only in a JAG report.
    issued_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The recipient considered it (accepted or declined): the Act's "have regard to".
    had_regard: bool = False
    # Why a later JAG report (after an upheld appeal) changed or withdrew it.
    change_reason: str | None = None
