"""objections: the objection period (公示) on a provisional result, the units' objections (异议) and their files

Revision ID: 0015
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('objectionperiod',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('opened_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_objectionperiod_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['result_id'], ['result.id'], name=op.f('fk_objectionperiod_result_id_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objectionperiod'))
    )
    with op.batch_alter_table('objectionperiod', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objectionperiod_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objectionperiod_result_id'), ['result_id'], unique=False)
    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('item_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('item_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('item_label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('filed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('filed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ruling_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('ruled_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('ruled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_objection_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['period_id'], ['objectionperiod.id'], name=op.f('fk_objection_period_id_objectionperiod')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_objection_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection'))
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objection_period_id'), ['period_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objection_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objection_state'), ['state'], unique=False)
    op.create_table('objectionfile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objection_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['objection_id'], ['objection.id'], name=op.f('fk_objectionfile_objection_id_objection')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objectionfile'))
    )
    with op.batch_alter_table('objectionfile', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objectionfile_objection_id'), ['objection_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('objectionfile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objectionfile_objection_id'))
    op.drop_table('objectionfile')
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_state'))
        batch_op.drop_index(batch_op.f('ix_objection_unit_id'))
        batch_op.drop_index(batch_op.f('ix_objection_period_id'))
        batch_op.drop_index(batch_op.f('ix_objection_campaign_id'))
    op.drop_table('objection')
    with op.batch_alter_table('objectionperiod', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objectionperiod_result_id'))
        batch_op.drop_index(batch_op.f('ix_objectionperiod_campaign_id'))
    op.drop_table('objectionperiod')
