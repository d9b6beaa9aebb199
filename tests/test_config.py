"""Settings come from the environment; production refuses the development secret."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("PARKGRID_DATABASE_URL", "postgresql+psycopg://u@db/parkgrid")
    monkeypatch.setenv("PORT", "8123")
    s = Settings()
    assert s.database_url == "postgresql+psycopg://u@db/parkgrid" and s.port == 8123
    assert not s.is_sqlite


def test_default_database_is_a_sqlite_file_under_var(monkeypatch):
    monkeypatch.delenv("PARKGRID_DATABASE_URL", raising=False)
    s = Settings(env="development")
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("/var/parkgrid.db")


@pytest.mark.parametrize("env", ["production", "test"])
def test_outside_development_a_real_secret_is_required(monkeypatch, env):
    monkeypatch.delenv("PARKGRID_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="PARKGRID_SECRET_KEY"):
        Settings(env=env)
    with pytest.raises(ValidationError, match="PARKGRID_SECRET_KEY"):
        Settings(env=env, secret_key="short")
    assert Settings(env=env, secret_key="k" * 40).secret_key == "k" * 40
