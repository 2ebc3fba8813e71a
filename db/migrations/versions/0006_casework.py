"""casework: finding hand-over and answers, case factors and answers, notice office and unit report

Revision ID: 0006
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_over_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('replied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('accountabilitycase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('factors', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('decided_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('replied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('caseevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), server_default='transition',
                                      nullable=False))
        batch_op.add_column(sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), server_default='', nullable=False))

    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuing_office', sqlmodel.sql.sqltypes.AutoString(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('submitted_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.drop_column('submitted_on')
        batch_op.drop_column('reply')
        batch_op.drop_column('issuing_office')

    with op.batch_alter_table('caseevent', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('kind')

    with op.batch_alter_table('accountabilitycase', schema=None) as batch_op:
        batch_op.drop_column('replied_at')
        batch_op.drop_column('reply')
        batch_op.drop_column('decided_on')
        batch_op.drop_column('factors')

    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_column('replied_at')
        batch_op.drop_column('reply')
        batch_op.drop_column('handed_over_at')
