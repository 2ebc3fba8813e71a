"""the ballot box: sealed ballots wait to be released in shuffled batches; a ballot keeps no day or duration

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sealedballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_sealedballot_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['group_id'], ['reviewergroup.id'], name=op.f('fk_sealedballot_group_id_reviewergroup')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealedballot'))
    )
    with op.batch_alter_table('sealedballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealedballot_campaign_id'), ['campaign_id'], unique=False)
    op.add_column('campaign', sa.Column('ballots_final_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('campaign', sa.Column('drafts_cut_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # A submitted ballot's day and duration could be matched to the moment its invitation was used. A plain
    # DROP COLUMN (SQLite >= 3.35 has it): the batch mode's copy of the table would trip the foreign keys of
    # the answers that point at it.
    op.drop_column('response', 'submitted_on')
    op.drop_column('response', 'duration_s')


def downgrade() -> None:
    op.add_column('response', sa.Column('duration_s', sa.Float(), nullable=True))
    op.add_column('response', sa.Column('submitted_on', sa.Date(), nullable=True))
    op.drop_column('campaign', 'drafts_cut_at')  # plain DROP COLUMN: a batch copy of campaign trips its foreign keys
    op.drop_column('campaign', 'ballots_final_at')
    with op.batch_alter_table('sealedballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealedballot_campaign_id'))
    op.drop_table('sealedballot')
