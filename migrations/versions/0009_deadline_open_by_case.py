"""deadline open by case: an index of each case's open deadlines, for the work queues

"My work" reads the open deadlines of the cases in one locality. With this index the
database starts from those cases (ix_case_locality_state) and reads each one's open
deadlines from the index alone (on PostgreSQL the queue's columns are included), instead
of reading every open deadline in the area and joining them all to their cases.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deadline_open_case",
            ["case_id"],
            unique=False,
            postgresql_include=["id", "kind", "owner_role", "name", "label", "due_on"],
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_open_case")
