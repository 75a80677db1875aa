"""report: who made a report when it was not the applicant, and how to reach them

Another person's report of the same incident counts toward the three-complainants limb.
`reporter` names them as the applicant or staff gave it ("Jane Smith", "a neighbour");
`reporter_contact` holds their email or phone only when they agreed to be contacted.

Revision ID: 0011_threshold
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_threshold"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reporter", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "reporter_contact", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("reporter_contact")
        batch_op.drop_column("reporter")
