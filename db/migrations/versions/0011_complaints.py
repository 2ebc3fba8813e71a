"""complaints from the public poll: the complaint table, and the poster a vote came through

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pollvote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), server_default='',
                                      nullable=False))
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('receipt_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('acknowledged_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('found', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('done', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('closing_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('ruling', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('ruling_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phone_erased_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('follow_up', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('follow_up_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_complaint_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_complaint_unit_id_unit')),
    sa.ForeignKeyConstraint(['vote_id'], ['pollvote.id'], name=op.f('fk_complaint_vote_id_pollvote')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_complaint_receipt_hash')),
    sa.UniqueConstraint('vote_id', name=op.f('uq_complaint_vote_id'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_state'))
        batch_op.drop_index(batch_op.f('ix_complaint_unit_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_campaign_id'))
    op.drop_table('complaint')
    with op.batch_alter_table('pollvote', schema=None) as batch_op:
        batch_op.drop_column('source')
