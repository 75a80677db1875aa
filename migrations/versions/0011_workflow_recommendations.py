"""recommendations followed through: when each was issued, that its recipient had regard to
it, and why a later JAG report changed or withdrew it

Revision ID: 0011_workflow
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0011_workflow"
down_revision: str | None = "0011_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("had_regard", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("change_reason", sa.String(), nullable=True))
    # Recommendations already on a case whose response went out were issued with it.
    op.execute(
        "UPDATE recommendation SET issued_at = updated_at WHERE case_id IN"
        " (SELECT id FROM case_record WHERE response_issued_by IS NOT NULL)"
    )
    op.execute(
        "UPDATE recommendation SET had_regard = true WHERE status IN ('accepted', 'declined')"
    )


def downgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_column("change_reason")
        batch_op.drop_column("had_regard")
        batch_op.drop_column("issued_at")
