"""the applicant's short status code, and whether texts are safe to send them

`status_code`: a short code that goes with the case reference in every message, so an
applicant without e-mail can find their case on the status page or read it to their named
contact over the phone. `texts_safe`: the applicant said text messages are safe to receive
(someone else may read their phone); without it no text is sent.

Revision ID: 0011_letters
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_letters"
down_revision: str | None = "0011_workflow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True)
        )
        batch_op.add_column(
            sa.Column("texts_safe", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_column("texts_safe")
        batch_op.drop_column("status_code")
