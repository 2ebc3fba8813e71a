import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from db import migrate, models  # noqa: F401
from db.engine import make_engine


def test_empty_database_upgrades_to_head(db_url):
    engine = make_engine(db_url)
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_upgrade_twice_changes_nothing(engine):
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()


def test_downgrade_to_base_and_back(engine):
    from alembic import command

    config = migrate._config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert "campaign" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()


def test_audit_log_refuses_update_and_delete(engine):
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO auditevent (at, actor, action, entity, entity_id) "
            "VALUES (CURRENT_TIMESTAMP, 'a', 'x.y', 'e', '1')"
        ))
    for statement in ("UPDATE auditevent SET actor = 'b'", "DELETE FROM auditevent"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT actor FROM auditevent")).scalar_one() == "a"
