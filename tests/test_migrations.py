"""Models and migrations agree: an empty database upgraded to head has the models' schema."""

from alembic import command
from sqlalchemy import inspect

from app.core.db import make_engine
from app.core.migrate import alembic_config, schema_differences, upgrade
from app.models import metadata


def test_empty_sqlite_upgraded_to_head_matches_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    assert schema_differences(engine) == []
    assert set(metadata.tables) | {"alembic_version"} == set(inspect(engine).get_table_names())

    # Down to nothing and up again: the downgrade path works too.
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    upgrade(engine)
    assert schema_differences(engine) == []
    engine.dispose()


def test_suite_database_matches_the_models(engine):
    # The suite's database (PostgreSQL when PARKGRID_TEST_DATABASE_URL is set) was
    # migrated from empty at the start of the run.
    assert schema_differences(engine) == []
    upgrade(engine)  # a second upgrade finds nothing to do
    assert schema_differences(engine) == []
