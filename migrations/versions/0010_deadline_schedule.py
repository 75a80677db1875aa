"""deadline schedule: each deadline's next reminder date and last step, in a table of its own

The sweep moves `next_action_on` and `reminder_step` on for every deadline it reminds about.
On the deadline row itself each move rewrote an entry in all five of the deadline's indexes
(PostgreSQL cannot update a row in place when an indexed column changes); in this narrow
table a move writes the row and its two index entries. Existing values are copied across;
a closed deadline's next action is left empty, as the sweep would leave it.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deadline_schedule",
        sa.Column("deadline_id", sa.Integer(), nullable=False),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("reminder_step", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadline.id"]),
        sa.PrimaryKeyConstraint("deadline_id"),
    )
    op.execute(
        "INSERT INTO deadline_schedule (deadline_id, next_action_on, reminder_step)"
        " SELECT id, CASE WHEN status = 'open' THEN next_action_on END, reminder_step"
        " FROM deadline"
    )
    with op.batch_alter_table("deadline_schedule", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deadline_schedule_due",
            ["next_action_on"],
            unique=False,
            postgresql_where=sa.text("next_action_on IS NOT NULL"),
            sqlite_where=sa.text("next_action_on IS NOT NULL"),
        )
    op.drop_index("ix_deadline_open_next_action", table_name="deadline")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): a batch copy of the deadline
    # table would drop the table that outbox and schedule rows refer to.
    op.execute("ALTER TABLE deadline DROP COLUMN next_action_on")
    op.execute("ALTER TABLE deadline DROP COLUMN reminder_step")


def downgrade() -> None:
    op.add_column(
        "deadline",
        sa.Column("reminder_step", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    )
    op.add_column("deadline", sa.Column("next_action_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE deadline SET"
        " next_action_on = (SELECT s.next_action_on FROM deadline_schedule s"
        " WHERE s.deadline_id = deadline.id),"
        " reminder_step = (SELECT s.reminder_step FROM deadline_schedule s"
        " WHERE s.deadline_id = deadline.id)"
    )
    op.create_index(
        "ix_deadline_open_next_action",
        "deadline",
        ["next_action_on"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    with op.batch_alter_table("deadline_schedule", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_schedule_due")
    op.drop_table("deadline_schedule")
