"""report: Sentinel's reference, area and locality, and the person and place it names

Reports imported from a Sentinel CSV export (`ctengine import sentinel`) carry the record's
own reference, unique per area (`ux_report_sentinel`), so importing a file again adds
nothing; the locality the incident was in; and the shared person and place records
(migration 0012) Sentinel linked them to. Every column is empty on other reports.

Revision ID: 0013_sentinel
Revises: 0013_jag
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_sentinel"
down_revision: str | None = "0013_jag"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (column, SQL type, referenced table, referenced column)
LINKS = (
    ("area_id", sa.String(length=40), "area", "id"),
    ("locality_id", sa.String(length=60), "locality", "id"),
    ("person_id", sa.Integer(), "person", "id"),
    ("place_id", sa.Integer(), "place", "id"),
)


def upgrade() -> None:
    op.add_column("report", sa.Column("sentinel_ref", sa.String(length=80), nullable=True))
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, sql_type, table, key in LINKS:
        if sqlite:
            # ADD COLUMN ... REFERENCES, not a batch copy: report_audit refers to report.
            type_sql = sql_type.compile(dialect=op.get_bind().dialect)
            op.execute(
                f"ALTER TABLE report ADD COLUMN {column} {type_sql} REFERENCES {table} ({key})"
            )
        else:
            op.add_column("report", sa.Column(column, sql_type, nullable=True))
            op.create_foreign_key(f"report_{column}_fkey", "report", table, [column], [key])
    op.create_index("ux_report_sentinel", "report", ["area_id", "sentinel_ref"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_report_sentinel", table_name="report")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite refuses DROP COLUMN on a column its foreign key names: the batch copy
        # rebuilds report without the columns and so without those keys.
        with op.batch_alter_table("report", schema=None) as batch_op:
            for column, *_ in reversed(LINKS):
                batch_op.drop_column(column)
            batch_op.drop_column("sentinel_ref")
        return
    for column, *_ in reversed(LINKS):
        op.drop_constraint(f"report_{column}_fkey", "report", type_="foreignkey")
        op.drop_column("report", column)
    op.drop_column("report", "sentinel_ref")
