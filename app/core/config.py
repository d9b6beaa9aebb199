"""Settings: the one object that reads ParkGrid's configuration from the environment."""

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET = "dev-only-not-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARKGRID_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'parkgrid.db'}"
    secret_key: str = DEV_SECRET
    # PORT is the conventional name hosting tools set; PARKGRID_PORT works too.
    port: int = Field(default=8000, validation_alias=AliasChoices("PORT", "PARKGRID_PORT"))
    host: str = "127.0.0.1"
    sql_echo: bool = False
    # Requests served side by side in one process (its thread pool).
    threads: int = Field(default=12, ge=1, le=200)
    # Every wait on the database is bounded; past it the request answers 503 with
    # Retry-After (never a hang). A writer waits this long for its lock (PostgreSQL
    # lock_timeout; SQLite's queue for its one write lock) or for a pooled connection.
    db_lock_timeout_seconds: float = Field(default=5.0, gt=0, le=600)
    # PostgreSQL only: the longest a statement may run, and the longest a transaction
    # may sit idle (a stuck request then releases its locks).
    db_statement_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    db_idle_in_transaction_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Evidence files (佐证材料) live here, outside the database, under their hashes.
    evidence_dir: Path = ROOT / "var" / "evidence"
    evidence_max_mb: int = 10
    # Roster workbooks larger than this are refused before anything reads them.
    import_max_mb: int = 20
    # Chromium prints the quarterly reports to PDF (headless); without it, print from the browser.
    chromium_path: str = "/usr/bin/chromium"
    # Sessions end after this long without a request, and after this long in any case.
    session_idle_minutes: int = 120
    session_absolute_hours: int = 12
    # Failed logins within the window that pause one account from one client address
    # (`_account`: the pair; other addresses still get in), or one address on every account.
    login_window_minutes: int = 15
    login_max_failures_account: int = 10
    login_max_failures_address: int = 50
    # The report's review screen flags a value that moved more than this share from the
    # same quarter last year (0.5: by more than ±50 %).
    review_change_threshold: float = Field(default=0.5, gt=0, le=100)

    @model_validator(mode="after")
    def _secret_outside_development(self) -> "Settings":
        # A known default secret in production would let anyone forge tokens.
        if self.env != "development" and (
            self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "PARKGRID_SECRET_KEY must be set to a random value of at least 32 characters "
                "outside development"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def alembic_config(engine: "Engine | None" = None) -> "Config":
    """Alembic's configuration (alembic.ini): it names no table, so core's backup can read
    the migration scripts without the domains' models."""
    # Imported here: every process reads the settings, few run Alembic.
    from alembic.config import Config

    cfg = Config(str(Path(ROOT) / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg
