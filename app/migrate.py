"""Bringing a database to the newest migration, and checking models against migrations.

A composition root beside app.models: comparing the schema needs every domain's tables,
which core must not import.
"""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from app.core.config import alembic_config
from app.models import metadata

__all__ = ["alembic_config", "schema_differences", "upgrade"]


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
