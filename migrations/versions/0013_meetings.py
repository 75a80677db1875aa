"""JAG meetings: meeting, agenda items, papers pack, attendance, minutes, corrections, and
the domestic-abuse flag of victim cases

The tables of workflows/jag_case/meeting_models.py.

Revision ID: 0013_meetings
Revises: 0013_sentinel
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_meetings"
down_revision: str | None = "0013_sentinel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _user(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True)


def _meeting() -> sa.Column:
    return sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("jag_meeting.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "jag_meeting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.String(length=40), nullable=False),
        sa.Column("locality_id", sa.String(length=60), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.String(length=5), nullable=False),
        sa.Column("length_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("call_link", sa.String(length=500), nullable=True),
        _user("chair_user_id"),
        sa.Column("invited", sa.JSON(), nullable=False),
        sa.Column("papers_due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("papers_sent_at", TS, nullable=True),
        _user("papers_sent_by"),
        sa.Column("minutes_approved_at", TS, nullable=True),
        _user("minutes_approved_by"),
        sa.Column(
            "approved_at_meeting_id", sa.Integer(), sa.ForeignKey("jag_meeting.id"), nullable=True
        ),
        sa.Column("created_at", TS, nullable=False),
        _user("created_by"),
    )
    op.create_index(
        "ix_jag_meeting_locality_held", "jag_meeting", ["area_id", "locality_id", "held_on"]
    )
    op.create_table(
        "jag_agenda_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        _meeting(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_record.id"), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_jag_agenda_item_meeting", "jag_agenda_item", ["meeting_id", "position"])
    op.create_table(
        "jag_meeting_pack",
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("jag_meeting.id"), primary_key=True),
        sa.Column("html", sa.String(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("made_at", TS, nullable=False),
    )
    op.create_table(
        "jag_attendance",
        sa.Column("id", sa.Integer(), primary_key=True),
        _meeting(),
        sa.Column("agency", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("names", sa.String(length=500), nullable=True),
        sa.UniqueConstraint("meeting_id", "agency"),
    )
    op.create_table(
        "jag_minute",
        sa.Column("id", sa.Integer(), primary_key=True),
        _meeting(),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("jag_agenda_item.id"), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("risk_change", sa.String(), nullable=True),
        sa.Column("cessation", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        _user("recorded_by"),
        sa.UniqueConstraint("item_id"),
    )
    op.create_index("ix_jag_minute_meeting_id", "jag_minute", ["meeting_id"])
    op.create_table(
        "jag_minute_action",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("minute_id", sa.Integer(), sa.ForeignKey("jag_minute.id"), nullable=False),
        _meeting(),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_record.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.create_index("ix_jag_minute_action_minute_id", "jag_minute_action", ["minute_id"])
    op.create_index("ix_jag_minute_action_meeting_id", "jag_minute_action", ["meeting_id"])
    op.create_table(
        "jag_minute_correction",
        sa.Column("id", sa.Integer(), primary_key=True),
        _meeting(),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("jag_agenda_item.id"), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("written_at", TS, nullable=False),
        _user("written_by"),
    )
    op.create_index("ix_jag_minute_correction_meeting_id", "jag_minute_correction", ["meeting_id"])
    op.create_table(
        "jag_domestic_abuse",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_record.id"), primary_key=True),
        sa.Column("repeat_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _user("updated_by"),
    )


def downgrade() -> None:
    for table in (
        "jag_domestic_abuse",
        "jag_minute_correction",
        "jag_minute_action",
        "jag_minute",
        "jag_attendance",
        "jag_meeting_pack",
        "jag_agenda_item",
        "jag_meeting",
    ):
        op.drop_table(table)
