"""jag linked case: an index of JAG cases by the Community Trigger case they are linked to

A Community Trigger case page lists the JAG cases linked to it (workflows/jag_case/
ct_link.py, linked_to): with this index that is a look-up, not a read of every JAG case.

Revision ID: 0014_jag_linked
Revises: 0013_meetings
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_jag_linked"
down_revision: str | None = "0013_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_jag_case_linked_case_id", "jag_case", ["linked_case_id"])


def downgrade() -> None:
    op.drop_index("ix_jag_case_linked_case_id", table_name="jag_case")
