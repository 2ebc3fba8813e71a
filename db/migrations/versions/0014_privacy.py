"""privacy: no digit of a call-back number in the audit log, not even in events written before

Revision ID: 0014
Revises: 0012

Until this revision, leaving a call-back number was audited with the number masked (139****5432:
seven of its digits), and a complaint's steps with the unit's and the office's answers as typed (a
number quoted there stayed whole). The code now writes neither; this rewrites the events already
written: `complaints.phone_left` keeps only that a number was left, and the `found`, `done` and
`ruling_reason` of complaint events are de-identified (core.deidentify, as the code now does). The
audit table is append-only through triggers, so they are dropped for this one statement and put
back in the same transaction; the rewrite is itself audited (`audit.scrubbed`, with a count).
Downgrading leaves the events as they are: what was scrubbed is not kept anywhere.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None

TEXTS = ("found", "done", "ruling_reason")

# As in 0001_initial_schema: the audit log is append-only in the database itself.
TRIGGERS = {
    "sqlite": (
        ["DROP TRIGGER auditevent_no_update"],
        ["CREATE TRIGGER auditevent_no_update BEFORE UPDATE ON auditevent "
         "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"],
    ),
    "postgresql": (
        ["DROP TRIGGER auditevent_no_change ON auditevent"],
        ["CREATE TRIGGER auditevent_no_change BEFORE UPDATE OR DELETE ON auditevent "
         "FOR EACH ROW EXECUTE FUNCTION auditevent_append_only()"],
    ),
}

audit = sa.table("auditevent", sa.column("id", sa.Integer), sa.column("at", sqlmodel.sql.sqltypes.UTCDateTime()),
                 sa.column("actor", sa.String), sa.column("action", sa.String), sa.column("entity", sa.String),
                 sa.column("entity_id", sa.String), sa.column("before", sa.JSON), sa.column("after", sa.JSON))


def _scrubbed(action: str, values: dict | None) -> dict | None:
    from core.deidentify import mask_text  # the rule the code applies now

    if not isinstance(values, dict):
        return values
    if action == "complaints.phone_left":  # after={"phone": "139****5432"}: that one was left, nothing of it
        return {"phone_left": True}
    return {k: mask_text(v) if k in TEXTS and isinstance(v, str) else v for k, v in values.items()}


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(audit.c.id, audit.c.action, audit.c.before, audit.c.after)
                        .where(audit.c.action.like("complaints.%"))).all()
    changes = []
    for event_id, action, before, after in rows:
        new = (_scrubbed(action, before), _scrubbed(action, after))
        if new != (before, after):
            changes.append({"event": event_id, "new_before": new[0], "new_after": new[1]})
    if not changes:
        return
    drop, create = TRIGGERS.get(bind.dialect.name, ([], []))
    for statement in drop:
        op.execute(statement)
    bind.execute(audit.update().where(audit.c.id == sa.bindparam("event"))
                 .values(before=sa.bindparam("new_before"), after=sa.bindparam("new_after")), changes)
    for statement in create:
        op.execute(statement)
    bind.execute(audit.insert().values(at=datetime.now(UTC), actor="migration:0014", action="audit.scrubbed",
                                       entity="auditevent", entity_id="", before=None,
                                       after={"events": len(changes), "revision": "0014"}))


def downgrade() -> None:
    pass  # nothing to undo: the numbers are not kept anywhere to be put back
