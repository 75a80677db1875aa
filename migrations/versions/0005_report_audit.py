"""report audit: what staff did about a complaint recorded without a case

Recorded, the case review prompt shown (a second report within six months), and the case
review explained; managers count these per locality.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 05:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("locality_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["locality_id"], ["locality.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_audit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_audit_locality_action", ["locality_id", "action"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_report_audit_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_audit_report_id"))
        batch_op.drop_index("ix_report_audit_locality_action")
    op.drop_table("report_audit")
