"""bundle: each result version's verification bundle, kept as built when the version was scored

Revision ID: 0017
Revises: 0015

A bundle is rebuilt from no later data: its bytes (and the SHA-256 printed on the 通报) are those of the
inputs the version was computed from. Versions scored before this revision get theirs on first
download, while their inputs are unchanged (db.bundles).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('resultbundle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('code_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['result_id'], ['result.id'], name=op.f('fk_resultbundle_result_id_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resultbundle'))
    )
    with op.batch_alter_table('resultbundle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resultbundle_result_id'), ['result_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('resultbundle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resultbundle_result_id'))
    op.drop_table('resultbundle')
