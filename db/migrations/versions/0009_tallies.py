"""maintained tallies for the dashboards: votetally, answertally, answerpattern (backfilled)

Revision ID: 0009
Revises: 0008
"""

from collections import Counter

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('votetally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('option', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_votetally_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_votetally_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votetally')),
    sa.UniqueConstraint('campaign_id', 'unit_id', 'day', 'option', 'status',
                        name=op.f('uq_votetally_campaign_id_unit_id_day_option_status'))
    )
    with op.batch_alter_table('votetally', schema=None) as batch_op:
        batch_op.create_index('ix_votetally_unit', ['unit_id', 'campaign_id', 'day', 'status', 'option', 'n'],
                              unique=False)
        batch_op.create_index('ix_votetally_status', ['campaign_id', 'status', 'unit_id', 'option', 'n'],
                              unique=False)
        batch_op.create_index('ix_votetally_day', ['campaign_id', 'day', 'status', 'n'], unique=False)

    op.create_table('answertally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('dimension_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('option', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_answertally_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['dimension_id'], ['dimension.id'], name=op.f('fk_answertally_dimension_id_dimension')),
    sa.ForeignKeyConstraint(['group_id'], ['reviewergroup.id'], name=op.f('fk_answertally_group_id_reviewergroup')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_answertally_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answertally')),
    sa.UniqueConstraint('campaign_id', 'unit_id', 'dimension_id', 'group_id', 'option',
                        name=op.f('uq_answertally_campaign_id_unit_id_dimension_id_group_id_option'))
    )
    with op.batch_alter_table('answertally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answertally_unit_id'), ['unit_id'], unique=False)

    op.create_table('answerpattern',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('pattern', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_answerpattern_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answerpattern')),
    sa.UniqueConstraint('campaign_id', 'pattern', name=op.f('uq_answerpattern_campaign_id_pattern'))
    )
    _backfill()


# Counted questionnaires: submitted and not a rehearsal (as db/tallies.py counts them).
_COUNTED = "r.status = 'submitted' AND r.rehearsal = :no"


def _backfill() -> None:
    """The tallies of the rows already there, as db/tallies.rebuild counts them (kept here, not
    imported, so this migration stays as it is whatever the module becomes)."""
    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO votetally (campaign_id, unit_id, day, option, status, n) "
        "SELECT campaign_id, unit_id, day, option, status, COUNT(*) FROM pollvote "
        "GROUP BY campaign_id, unit_id, day, option, status"))
    bind.execute(sa.text(
        "INSERT INTO answertally (campaign_id, unit_id, dimension_id, group_id, option, n) "
        "SELECT r.campaign_id, a.unit_id, a.dimension_id, r.group_id, a.option, COUNT(*) "
        "FROM answer a JOIN response r ON r.id = a.response_id WHERE " + _COUNTED + " "
        "GROUP BY r.campaign_id, a.unit_id, a.dimension_id, r.group_id, a.option"), {"no": False})
    dimensions: dict[int, list[int]] = {}
    for campaign_id, dimension_id in bind.execute(sa.text(
            "SELECT campaign_id, id FROM dimension ORDER BY campaign_id, position, id")):
        dimensions.setdefault(campaign_id, []).append(dimension_id)
    cells: dict[tuple[int, int, int], dict[int, str]] = {}
    for campaign_id, response_id, unit_id, dimension_id, option in bind.execute(sa.text(
            "SELECT r.campaign_id, a.response_id, a.unit_id, a.dimension_id, a.option "
            "FROM answer a JOIN response r ON r.id = a.response_id WHERE " + _COUNTED), {"no": False}):
        cells.setdefault((campaign_id, response_id, unit_id), {})[dimension_id] = option
    patterns = Counter((campaign_id, "|".join(options.get(d, "") for d in dimensions.get(campaign_id, [])))
                       for (campaign_id, _, _), options in cells.items())
    if patterns:
        bind.execute(sa.text("INSERT INTO answerpattern (campaign_id, pattern, n) VALUES (:c, :p, :n)"),
                     [{"c": c, "p": p, "n": n} for (c, p), n in sorted(patterns.items())])


def downgrade() -> None:
    op.drop_table('answerpattern')
    with op.batch_alter_table('answertally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answertally_unit_id'))
    op.drop_table('answertally')
    with op.batch_alter_table('votetally', schema=None) as batch_op:
        batch_op.drop_index('ix_votetally_day')
        batch_op.drop_index('ix_votetally_status')
        batch_op.drop_index('ix_votetally_unit')
    op.drop_table('votetally')
