"""Alembic environment: migrates the engine db/migrate.py hands over, or DATABASE_URL."""

from alembic import context
from sqlmodel import SQLModel

from db import models  # noqa: F401  (registers every table on the metadata)
from db.engine import make_engine

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        with make_engine().connect() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
