"""Models and migrations agree: an empty database upgraded to head has the models' schema."""

from alembic import command
from sqlalchemy import inspect

from app.core.db import make_engine
from app.migrate import alembic_config, schema_differences, upgrade
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


def test_upgrading_a_database_with_scores_stores_them_again(private_db_url):
    # The stored-results migration empties the derived scores of a live database (their
    # new columns cannot be guessed) and `parkgrid migrate` stores them again, the same.
    from sqlmodel import Session, select

    from app.assessment.models import Score
    from app.assessment.results import scores
    from tests.helpers import demo_database

    engine = demo_database(private_db_url)

    def stored() -> dict:
        with Session(engine) as s:
            rows = s.exec(select(Score))
            return {(r.park_id, r.period_id): (r.total, r.rank_city, r.tier) for r in rows}

    before = stored()
    assert len(before) == 15 * 8
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "4e1f6a9c2b7d")  # the revision before stored results
    upgrade(engine)
    assert stored() == {}
    with Session(engine) as s:
        assert scores.store_unscored(s) == 8
        s.commit()
        assert scores.store_unscored(s) == 0  # nothing left to store
    assert stored() == before
    engine.dispose()
