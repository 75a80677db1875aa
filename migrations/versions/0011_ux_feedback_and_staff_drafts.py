"""feedback answers and staff drafts kept through a timed-out session

`feedback` holds answers to "What did you think of this service?" with nothing that could
trace them to a person. `staff_draft` holds a staff form sent after the session ended, for
the same user to get back after signing in again.

Revision ID: 0011_ux
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_ux"
down_revision: str | None = "0011_letters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("comments", sqlmodel.sql.sqltypes.AutoString(length=1200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "staff_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_draft", schema=None) as batch_op:
        batch_op.create_index("ix_staff_draft_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_draft_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_draft_user_id"))
        batch_op.drop_index("ix_staff_draft_expires_at")
    op.drop_table("staff_draft")
    op.drop_table("feedback")
