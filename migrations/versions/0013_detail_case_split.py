"""the generic case and the Community Trigger's detail table: case_record and ct_case

`case_record` keeps what every workflow's case has (reference, area, locality, workflow and
version, state, version, timestamps, closure, named contact); the Community Trigger's own
columns move, row for row, into `ct_case` (keyed by case_id).

The downgrade puts every column back with its values; it refuses while any case has no
`ct_case` row (a case of another workflow), which the old table could not hold.

Revision ID: 0013_detail
Revises: 0013_moves
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_detail"
down_revision: str | None = "0013_moves"  # re-chained at merge as needed
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """The moved columns as they were in case_record (nullability, defaults, references)."""
    return [
        sa.Column("channel", S(length=30), nullable=False),
        sa.Column("application_on", sa.Date(), nullable=False),
        sa.Column("hate_incident", sa.Boolean(), nullable=False),
        sa.Column("hate_characteristic", S(length=100), nullable=True),
        sa.Column("route_claimed", S(length=40), nullable=True),
        sa.Column("consent_to_share", sa.Boolean(), nullable=False),
        sa.Column("declaration", sa.Boolean(), nullable=False),
        sa.Column("involvement", S(length=40), nullable=True),
        sa.Column("contact_preference", S(length=20), nullable=False),
        sa.Column("accessibility_needs", S(), nullable=True),
        sa.Column("impact", S(), nullable=True),
        sa.Column("vulnerabilities", S(), nullable=True),
        sa.Column("outcome_wanted", S(), nullable=True),
        sa.Column("status_token_hash", S(length=64), nullable=False),
        sa.Column("status_code", S(length=12), nullable=True),
        sa.Column("texts_safe", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("threshold_assessment", sa.JSON(), nullable=False),
        sa.Column("threshold_decision", S(length=20), nullable=True),
        sa.Column("response_issued_by", sa.Integer(), nullable=True),
        sa.Column("appeal_chair_id", sa.Integer(), nullable=True),
        sa.Column("review_meeting_on", sa.Date(), nullable=True),
    ]


NAMES = [c.name for c in _columns()]
USERS = ("response_issued_by", "appeal_chair_id")


def upgrade() -> None:
    op.create_table(
        "ct_case",
        sa.Column("case_id", sa.Integer(), nullable=False),
        *_columns(),
        sa.ForeignKeyConstraint(["case_id"], ["case_record.id"]),
        sa.ForeignKeyConstraint(["response_issued_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["appeal_chair_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("status_token_hash"),
    )
    listed = ", ".join(NAMES)
    op.execute(f"INSERT INTO ct_case (case_id, {listed}) SELECT id, {listed} FROM case_record")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        for name in reversed(NAMES):
            batch_op.drop_column(name)


def downgrade() -> None:
    bind = op.get_bind()
    others = bind.execute(
        sa.text(
            "SELECT count(*) FROM case_record"
            " WHERE NOT EXISTS (SELECT 1 FROM ct_case WHERE ct_case.case_id = case_record.id)"
        )
    ).scalar_one()
    if others:
        raise RuntimeError(
            f"Cannot downgrade below 0013_detail: {others} case(s) are not Community Trigger "
            "cases (they have no ct_case row), and case_record before 0013 holds only "
            "Community Trigger cases. Nothing was changed."
        )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        for column in _columns():
            # Added empty first; filled below, then made NOT NULL where it was.
            batch_op.add_column(
                sa.Column(column.name, column.type, nullable=True, server_default=None)
            )
    sets = ", ".join(
        f"{n} = (SELECT ct_case.{n} FROM ct_case WHERE ct_case.case_id = case_record.id)"
        for n in NAMES
    )
    op.execute(f"UPDATE case_record SET {sets}")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        for column in _columns():
            batch_op.alter_column(
                column.name,
                existing_type=column.type,
                nullable=column.nullable,
                server_default=column.server_default.arg if column.server_default else None,
            )
        for name in USERS:
            batch_op.create_foreign_key(f"case_record_{name}_fkey", "app_user", [name], ["id"])
        batch_op.create_unique_constraint(
            "case_record_status_token_hash_key", ["status_token_hash"]
        )
    op.drop_table("ct_case")
