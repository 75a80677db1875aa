"""find: the words cases are found by, a case's chosen named contact, the staff account audit

- `case_search_term`: one row per lower-case word of a case's people (name, address,
  postcode), keyed (term, case_id) so /staff/cases finds "smi" by an index range on both
  databases; filled here from the existing parties.
- `case_record.contact_user_id`: the named contact a manager chose (empty: the locality's
  first contact, as before); `ix_case_submitted` for the newest-first list.
- `staff_audit_event`: every change an admin makes to a staff account.

Revision ID: 0011_find
Revises: 0010
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_find"
down_revision: str | None = "0011_threshold"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TERM_LENGTH = 60
_WORD = re.compile(r"[a-z0-9]+")


def upgrade() -> None:
    op.create_table(
        "case_search_term",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=TERM_LENGTH), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_record.id"]),
        sa.PrimaryKeyConstraint("term", "case_id"),
    )
    op.create_index("ix_case_search_term_case_id", "case_search_term", ["case_id"], unique=False)
    op.create_table(
        "staff_audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_staff_audit_user", "staff_audit_event", ["user_id", "occurred_at"], unique=False
    )
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN ... REFERENCES, not a batch copy: other tables refer to case_record.
        op.execute(
            "ALTER TABLE case_record ADD COLUMN contact_user_id INTEGER REFERENCES app_user (id)"
        )
    else:
        op.add_column("case_record", sa.Column("contact_user_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "case_record_contact_user_id_fkey",
            "case_record",
            "app_user",
            ["contact_user_id"],
            ["id"],
        )
    op.create_index("ix_case_submitted", "case_record", ["submitted_at"], unique=False)
    _fill_terms()


def _fill_terms() -> None:
    """The words of every existing case's people (the rule engine.case_search.case_terms
    keeps, copied here so this migration never changes when that module does)."""
    bind = op.get_bind()
    parties = bind.execute(sa.text("SELECT case_id, name, address, postcode FROM party"))
    terms: dict[int, set[str]] = {}
    for case_id, *texts in parties:
        found = terms.setdefault(case_id, set())
        for text in texts:
            found.update(w[:TERM_LENGTH] for w in _WORD.findall((text or "").lower()))
        squashed = "".join(_WORD.findall((texts[2] or "").lower()))
        if squashed:
            found.add(squashed[:TERM_LENGTH])
    rows = [{"term": t, "case_id": c} for c, found in terms.items() for t in sorted(found)]
    if rows:
        table = sa.table("case_search_term", sa.column("term"), sa.column("case_id"))
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("ix_case_submitted", table_name="case_record")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite refuses DROP COLUMN on a column its foreign key names: the batch copy
        # rebuilds case_record without the column and so without that key.
        with op.batch_alter_table("case_record", schema=None) as batch_op:
            batch_op.drop_column("contact_user_id")
    else:
        op.drop_constraint("case_record_contact_user_id_fkey", "case_record", type_="foreignkey")
        op.drop_column("case_record", "contact_user_id")
    op.drop_index("ix_staff_audit_user", table_name="staff_audit_event")
    op.drop_table("staff_audit_event")
    op.drop_index("ix_case_search_term_case_id", table_name="case_search_term")
    op.drop_table("case_search_term")
