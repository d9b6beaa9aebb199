"""Bringing a database to the newest migration, and checking models against migrations.

A composition root beside app.models: comparing the schema needs every domain's tables,
which core must not import.
"""

from dataclasses import dataclass

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app.core.config import alembic_config
from app.models import metadata

__all__ = ["Upgraded", "alembic_config", "schema_differences", "upgrade"]


@dataclass(frozen=True)
class Upgraded:
    """What an upgrade did, for the command line to say."""

    # The database had no tables at all: the upgrade made it.
    created: bool
    # Migrations run; 0 when the database was at the newest already.
    steps: int
    revision: str | None


def upgrade(engine: Engine) -> Upgraded:
    """Runs every pending migration on the engine's database."""
    cfg = alembic_config()
    script = ScriptDirectory.from_config(cfg)
    with engine.begin() as conn:
        created = not inspect(conn).get_table_names()
        before = MigrationContext.configure(conn).get_current_revision()
        head = script.get_current_head()
        steps = (
            0
            if before == head
            else sum(1 for _ in script.iterate_revisions(head, before or "base"))
        )
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return Upgraded(created=created, steps=steps, revision=head)


def schema_differences(engine: Engine) -> list:
    """What the models declare that the migrated database lacks, or the other way round."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)
