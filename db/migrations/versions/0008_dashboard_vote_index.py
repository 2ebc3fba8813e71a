"""dashboard index on poll votes: campaign, status, unit, option, day

Revision ID: 0008
Revises: 0006
"""

from alembic import op


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A covering index: the live screen and the explorer count votes per status, unit, option
    # and day from it alone (1,000,000 votes: tens of milliseconds instead of a table scan).
    with op.batch_alter_table('pollvote', schema=None) as batch_op:
        batch_op.create_index('ix_pollvote_dashboard', ['campaign_id', 'status', 'unit_id', 'option', 'day'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pollvote', schema=None) as batch_op:
        batch_op.drop_index('ix_pollvote_dashboard')
