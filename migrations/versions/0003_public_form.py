"""public form: server-side form sessions and equalities answers

`form_session` holds a browser's unsent answers, keyed by a hash of its cookie, until they
are sent or left idle. `equalities_response` holds the optional monitoring answers apart
from the case: no case id, no foreign key, a random id and only the month.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:37:47.409971
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('equalities_response',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('area_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('locality_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('age', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('sex', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('gender_identity_same', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('sexual_orientation', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('disability', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('ethnicity', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('religion', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('marital_status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('pregnancy', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('equalities_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equalities_response_area_id'), ['area_id'], unique=False)

    op.create_table('form_session',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('form_session', schema=None) as batch_op:
        batch_op.create_index('ix_form_session_expires_at', ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('form_session', schema=None) as batch_op:
        batch_op.drop_index('ix_form_session_expires_at')
    op.drop_table('form_session')
    with op.batch_alter_table('equalities_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equalities_response_area_id'))
    op.drop_table('equalities_response')
