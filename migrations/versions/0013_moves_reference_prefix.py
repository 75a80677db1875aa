"""references per workflow: reference_counter keyed by (prefix, year)

Each workflow numbers its own references (CT-2026-000123, JAG-2026-000045). The counter
rows so far were the Community Trigger's, so they become prefix "CT". Downgrade keeps the
CT rows only and refuses while another prefix has a counter (it would lose numbers).

Revision ID: 0013_moves
Revises: 0012_people
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_moves"
down_revision: str | None = "0012_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _rebuild(
        [
            sa.Column("prefix", sa.String(length=10), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("last_number", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("prefix", "year"),
        ],
        "SELECT 'CT', year, last_number FROM reference_counter",
        "prefix, year, last_number",
    )


def downgrade() -> None:
    others = op.get_bind().execute(
        sa.text("SELECT count(*) FROM reference_counter WHERE prefix <> 'CT'")
    )
    if others.scalar_one():
        raise RuntimeError(
            "reference_counter holds counters of prefixes other than CT; downgrading would "
            "lose their numbers (and reuse references). Remove those workflows' cases first."
        )
    _rebuild(
        [
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("last_number", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("year"),
        ],
        "SELECT year, last_number FROM reference_counter",
        "year, last_number",
    )


def _rebuild(columns: list, select: str, names: str) -> None:
    """A new reference_counter with these columns, filled from the old one (both databases:
    a primary key cannot be changed in place on SQLite)."""
    op.create_table("reference_counter_new", *columns)
    op.execute(f"INSERT INTO reference_counter_new ({names}) {select}")
    op.drop_table("reference_counter")
    op.rename_table("reference_counter_new", "reference_counter")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE reference_counter "
            "RENAME CONSTRAINT reference_counter_new_pkey TO reference_counter_pkey"
        )
