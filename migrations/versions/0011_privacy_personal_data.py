"""privacy: equalities answers held and released in shuffled batches; staff views of cases,
legal holds and retention (docs/personal-data.md)

`equalities_response` is rebuilt without a rowid (SQLite) under random keys, its locality
allowed to be empty (coarsened to the whole area). Rows already stored followed the order
cases arrived, so they are moved into the new holding table in a shuffled order under new
keys; the worker releases them at its next run (their months have passed), coarsened.

Revision ID: 0011_privacy
Revises: 0010
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_privacy"
down_revision: str | None = "0011_find"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANSWERS = (
    "age",
    "sex",
    "gender_identity_same",
    "sexual_orientation",
    "disability",
    "ethnicity",
    "religion",
    "marital_status",
    "pregnancy",
)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _equalities_table(name: str, *, locality_nullable: bool) -> None:
    op.create_table(
        name,
        sa.Column("id", _text(32), nullable=False),
        sa.Column("area_id", _text(40), nullable=False),
        sa.Column("locality_id", _text(60), nullable=locality_nullable),
        sa.Column("period", _text(7), nullable=False),
        *(sa.Column(a, _text(30), nullable=True) for a in ANSWERS),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    _equalities_table("equalities_held", locality_nullable=False)
    conn = op.get_bind()
    columns = ", ".join(("area_id", "locality_id", "period", *ANSWERS))
    old = [
        dict(r._mapping)
        for r in conn.execute(sa.text(f"SELECT {columns} FROM equalities_response"))
    ]
    secrets.SystemRandom().shuffle(old)
    if old:
        held = sa.table("equalities_held", *(sa.column(c) for c in ("id", *columns.split(", "))))
        conn.execute(held.insert(), [{**r, "id": secrets.token_hex(16)} for r in old])
    op.drop_index("ix_equalities_response_area_id", table_name="equalities_response")
    op.drop_table("equalities_response")
    _equalities_table("equalities_response", locality_nullable=True)
    op.create_index("ix_equalities_response_area_id", "equalities_response", ["area_id"])

    op.create_table(
        "case_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("what", _text(20), nullable=False),
        sa.Column("item", _text(60), nullable=True),
        sa.Column("via", _text(10), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_record.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_view_case", "case_view", ["case_id", "viewed_at"])
    op.create_table(
        "case_retention",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("hold_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("hold_by", sa.Integer(), nullable=True),
        sa.Column("hold_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_record.id"]),
        sa.ForeignKeyConstraint(["hold_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "privacy_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", _text(200), nullable=False),
        sa.Column("action", _text(40), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case_record.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_privacy_event_case", "privacy_event", ["case_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_privacy_event_case", table_name="privacy_event")
    op.drop_table("privacy_event")
    op.drop_table("case_retention")
    op.drop_index("ix_case_view_case", table_name="case_view")
    op.drop_table("case_view")
    # Released and held answers go back into one table (as 0003 made it); answers coarsened
    # to the whole area keep an empty locality, the closest the old table can say.
    conn = op.get_bind()
    columns = ", ".join(("id", "area_id", "locality_id", "period", *ANSWERS))
    rows = [
        dict(r._mapping)
        for table in ("equalities_response", "equalities_held")
        for r in conn.execute(sa.text(f"SELECT {columns} FROM {table}"))
    ]
    op.drop_index("ix_equalities_response_area_id", table_name="equalities_response")
    op.drop_table("equalities_response")
    op.drop_table("equalities_held")
    op.create_table(
        "equalities_response",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("area_id", _text(40), nullable=False),
        sa.Column("locality_id", _text(60), nullable=False),
        sa.Column("period", _text(7), nullable=False),
        *(sa.Column(a, _text(30), nullable=True) for a in ANSWERS),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_equalities_response_area_id", "equalities_response", ["area_id"])
    if rows:
        table = sa.table("equalities_response", *(sa.column(c) for c in columns.split(", ")))
        conn.execute(table.insert(), [{**r, "locality_id": r["locality_id"] or ""} for r in rows])
