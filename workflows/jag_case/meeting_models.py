"""JAG meetings' tables: the meeting, its agenda, the papers pack, attendance, minutes and
corrections, and the domestic-abuse flag the standing repeat-victims item reads.
Migration 0013_meetings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class JagMeeting(SQLModel, table=True):
    """One JAG meeting of a locality: when, where, who chairs, which agencies are asked."""

    __tablename__ = "jag_meeting"
    __table_args__ = (Index("ix_jag_meeting_locality_held", "area_id", "locality_id", "held_on"),)
    id: int | None = Field(default=None, primary_key=True)
    area_id: str = Field(max_length=40)
    locality_id: str = Field(max_length=60)
    held_on: date
    starts_at: str = Field(max_length=5)  # HH:MM, Europe/London
    length_minutes: int
    place: str | None = Field(default=None, max_length=300)
    call_link: str | None = Field(default=None, max_length=500)
    chair_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    invited: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    papers_due_on: date
    # planned -> papers_sent; the minutes are locked once approved at the next meeting.
    status: str = Field(default="planned", max_length=20)
    papers_sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    papers_sent_by: int | None = Field(default=None, foreign_key="app_user.id")
    minutes_approved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    minutes_approved_by: int | None = Field(default=None, foreign_key="app_user.id")
    approved_at_meeting_id: int | None = Field(default=None, foreign_key="jag_meeting.id")
    created_at: datetime = Field(sa_column=utc_column())
    created_by: int | None = Field(default=None, foreign_key="app_user.id")


class JagAgendaItem(SQLModel, table=True):
    """One item of a meeting's agenda: about a case, or a standing or chair's item."""

    __tablename__ = "jag_agenda_item"
    __table_args__ = (Index("ix_jag_agenda_item_meeting", "meeting_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="jag_meeting.id")
    position: int
    kind: str = Field(max_length=30)
    case_id: int | None = Field(default=None, foreign_key="case_record.id")
    title: str = Field(max_length=300)
    # Why it is on the agenda (the live data that put it there).
    reason: str | None = Field(default=None, max_length=500)
    slot_minutes: int
    # Dropped by the chair: kept so that refreshing the agenda does not bring it back.
    dropped: bool = False


class JagMeetingPack(SQLModel, table=True):
    """The papers as sent: the accessible HTML and the same as a tagged PDF."""

    __tablename__ = "jag_meeting_pack"
    meeting_id: int = Field(foreign_key="jag_meeting.id", primary_key=True)
    html: str
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    made_at: datetime = Field(sa_column=utc_column())


class JagAttendance(SQLModel, table=True):
    """Whether each agency was present, sent apologies or was absent."""

    __tablename__ = "jag_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "agency"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="jag_meeting.id")
    agency: str = Field(max_length=100)
    status: str = Field(max_length=20)  # present, apologies or absent
    names: str | None = Field(default=None, max_length=500)


class JagMinute(SQLModel, table=True):
    """What the meeting decided on one item."""

    __tablename__ = "jag_minute"
    __table_args__ = (UniqueConstraint("item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="jag_meeting.id", index=True)
    item_id: int = Field(foreign_key="jag_agenda_item.id")
    decision: str
    risk_change: str | None = None
    # none, propose (cessation proposed) or keep_open
    cessation: str = Field(default="none", max_length=20)
    recorded_at: datetime = Field(sa_column=utc_column())
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")


class JagMinuteAction(SQLModel, table=True):
    """An action the meeting set on a case (in the case's plan as action `seq`)."""

    __tablename__ = "jag_minute_action"
    id: int | None = Field(default=None, primary_key=True)
    minute_id: int = Field(foreign_key="jag_minute.id", index=True)
    meeting_id: int = Field(foreign_key="jag_meeting.id", index=True)
    case_id: int = Field(foreign_key="case_record.id")
    seq: int


class JagMinuteCorrection(SQLModel, table=True):
    """A correction to approved minutes: appended, never an edit."""

    __tablename__ = "jag_minute_correction"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="jag_meeting.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="jag_agenda_item.id")
    text: str
    written_at: datetime = Field(sa_column=utc_column())
    written_by: int | None = Field(default=None, foreign_key="app_user.id")


class JagDomesticAbuse(SQLModel, table=True):
    """A victim case flagged as domestic abuse, with how many times it has repeated (the
    standing agenda item ranks the locality's victims by this)."""

    __tablename__ = "jag_domestic_abuse"
    case_id: int = Field(foreign_key="case_record.id", primary_key=True)
    repeat_count: int
    updated_at: datetime = Field(sa_column=utc_column())
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")


MEETING_TABLES = (
    JagMeeting,
    JagAgendaItem,
    JagMeetingPack,
    JagAttendance,
    JagMinute,
    JagMinuteAction,
    JagMinuteCorrection,
    JagDomesticAbuse,
)
