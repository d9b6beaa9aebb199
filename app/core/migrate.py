"""Bringing a database to the newest migration, and checking models against migrations."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from app.core.config import ROOT
from app.models import metadata


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config(str(Path(ROOT) / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine) -> None:
    """Runs every pending migration on the engine's database."""
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def schema_differences(engine: Engine) -> list:
    """What the models declare that the migrated database lacks, or the other way round."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)
