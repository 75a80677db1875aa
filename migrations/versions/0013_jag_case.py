"""JAG case work: referral, risk assessments, action plan, OSARA, ladder, peer reviews

The tables of workflows/jag_case/models.py, beside the generic case row.

Revision ID: 0013_jag
Revises: 0012_people
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_jag"
down_revision: str | None = "0012_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _case() -> sa.Column:
    return sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_record.id"), nullable=False)


def _user(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True)


def upgrade() -> None:
    op.create_table(
        "jag_case",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_record.id"), primary_key=True),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("referral_reason", sa.String(), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        _user("referred_by"),
        sa.Column("linked_case_id", sa.Integer(), sa.ForeignKey("case_record.id"), nullable=True),
        sa.Column("linked_recommendation_seq", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.String(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("risk_band", sa.String(length=10), nullable=True),
        sa.Column("agenda_flagged_on", sa.Date(), nullable=True),
        sa.Column("agenda_reason", sa.String(length=200), nullable=True),
        sa.Column("cessation_reason", sa.String(length=40), nullable=True),
        sa.Column("cessation_note", sa.String(), nullable=True),
        _user("ceased_by"),
        sa.Column("kept_open_reason", sa.String(), nullable=True),
    )
    op.create_table(
        "jag_risk_assessment",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("repeat_victim", sa.Boolean(), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("reassess_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("assessed_at", TS, nullable=False),
        _user("assessed_by"),
        sa.UniqueConstraint("case_id", "seq"),
    )
    op.create_index("ix_jag_risk_assessment_case_id", "jag_risk_assessment", ["case_id"])
    op.create_table(
        "jag_action",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "recommendation_id", sa.Integer(), sa.ForeignKey("recommendation.id"), nullable=True
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("case_id", "seq"),
    )
    op.create_index("ix_jag_action_case_id", "jag_action", ["case_id"])
    op.create_index("ix_jag_action_status_due", "jag_action", ["status", "due_on"])
    op.create_table(
        "jag_action_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("jag_action.id"), nullable=False),
        sa.Column("written_at", TS, nullable=False),
        _user("written_by"),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
    )
    op.create_index("ix_jag_action_note_action_id", "jag_action_note", ["action_id"])
    op.create_table(
        "jag_osara",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("case_record.id"), nullable=False, unique=True
        ),
        sa.Column("objective", sa.String(), nullable=True),
        sa.Column("scanning", sa.String(), nullable=True),
        sa.Column("analysis", sa.String(), nullable=True),
        sa.Column("response", sa.String(), nullable=True),
        sa.Column("assessment", sa.String(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        _user("updated_by"),
    )
    op.create_table(
        "jag_ladder_step",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case(),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("agency", sa.String(length=100), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("skip_reason", sa.String(), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        _user("recorded_by"),
    )
    op.create_index("ix_jag_ladder_step_case_id", "jag_ladder_step", ["case_id"])
    op.create_index("ix_jag_ladder_step_person_id", "jag_ladder_step", ["person_id"])
    op.create_table(
        "jag_peer_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case(),
        sa.Column("reviewer_user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        _user("requested_by"),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("question", sa.String(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("findings", sa.String(), nullable=True),
        sa.Column("recommendations", sa.String(), nullable=True),
        sa.Column("recorded_at", TS, nullable=True),
    )
    op.create_index("ix_jag_peer_review_case_id", "jag_peer_review", ["case_id"])
    op.create_index("ix_jag_peer_review_reviewer_user_id", "jag_peer_review", ["reviewer_user_id"])


class JagCasesExist(RuntimeError):
    """The downgrade would lose JAG case work: refused, nothing changed."""


def downgrade() -> None:
    """Drops the JAG tables: refused while any JAG case exists (its referral, risk, plan and
    reviews would be lost, and its case row left without them)."""
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM jag_case")).scalar_one()
    if held:
        raise JagCasesExist(
            f"{held} JAG case(s) exist: their records would be lost. Export and remove them "
            "before going back past 0013_jag."
        )
    for table in (
        "jag_peer_review",
        "jag_ladder_step",
        "jag_osara",
        "jag_action_note",
        "jag_action",
        "jag_risk_assessment",
        "jag_case",
    ):
        op.drop_table(table)
