"""people and places across cases: person, place and case_subject

One record per person or place in an area (folded name and date of birth, or place label,
as `match_key`; Sentinel's reference when known), linked to each case about them.

Revision ID: 0012_people
Revises: 0011_security
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_people"
down_revision: str | None = "0011_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.String(length=40), sa.ForeignKey("area.id"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("match_key", sa.String(length=240), nullable=False),
        sa.Column("sentinel_ref", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("area_id", "sentinel_ref"),
    )
    op.create_index("ix_person_area_key", "person", ["area_id", "match_key"])
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.String(length=40), sa.ForeignKey("area.id"), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("uprn", sa.String(length=20), nullable=True),
        sa.Column("match_key", sa.String(length=320), nullable=False),
        sa.Column("sentinel_ref", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("area_id", "sentinel_ref"),
    )
    op.create_index("ix_place_area_key", "place", ["area_id", "match_key"])
    op.create_table(
        "case_subject",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_record.id"), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("place_id", sa.Integer(), sa.ForeignKey("place.id"), nullable=True),
        sa.Column("part", sa.String(length=30), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "person_id", "place_id", "part"),
    )
    op.create_index("ix_case_subject_case_id", "case_subject", ["case_id"])
    op.create_index("ix_case_subject_person", "case_subject", ["person_id"])
    op.create_index("ix_case_subject_place", "case_subject", ["place_id"])


def downgrade() -> None:
    op.drop_table("case_subject")
    op.drop_table("place")
    op.drop_table("person")
