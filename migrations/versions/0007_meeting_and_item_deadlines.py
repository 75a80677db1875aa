"""meeting date on the case; labelled deadlines about one item (a recommendation)

`case_record.review_meeting_on` is the date the JAG chair arranged the review meeting for.
`deadline.label` names the one thing a deadline is about when the rule's own label is not
enough ("Recommendation 2: Council - install noise monitoring"); `deadline.subject` says
which item it tracks ("recommendation:2"), so the event that resolves the item closes only
its own deadline.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_meeting_on", sa.Date(), nullable=True))

    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_column("subject")
        batch_op.drop_column("label")

    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_column("review_meeting_on")
