"""reminder plan and outbox ledger

Deadlines get `next_action_on`, the date of their next reminder or escalation, with a
partial index over open deadlines so the sweep reads only what is due. Open deadlines are
set to be planned by the next sweep. Outbox rows get the deadline and step they belong to,
and a plain-words `reason` for cancellations, dead letters and manual retries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:34:40.077680
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_NAME = 'fk_outbox_message_deadline_id'


def upgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_action_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_deadline_open_next_action', ['next_action_on'], unique=False, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    # Every deadline already open is planned by the first sweep after the upgrade.
    op.execute(sa.text("UPDATE deadline SET next_action_on = '2000-01-01' WHERE status = 'open'"))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_foreign_key(FK_NAME, 'deadline', ['deadline_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(FK_NAME, type_='foreignkey')
        batch_op.drop_column('reason')
        batch_op.drop_column('step')
        batch_op.drop_column('deadline_id')

    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_open_next_action', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_column('next_action_on')
