"""reliability: "maybe sent" outbox rows, worker heartbeats, idempotent requests

Revision ID: 0011_reliability
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0011_reliability"
down_revision: str | None = "0011_ux"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_message", sa.Column("unconfirmed_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "idempotent_request",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        "ix_idempotent_request_created_at", "idempotent_request", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_idempotent_request_created_at", table_name="idempotent_request")
    op.drop_table("idempotent_request")
    op.drop_table("worker_heartbeat")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): no batch copy of the table.
    op.execute("ALTER TABLE outbox_message DROP COLUMN unconfirmed_since")
