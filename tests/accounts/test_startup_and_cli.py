"""Production refuses the demo password; `parkgrid create-user` makes the first admin."""

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.core import config, db
from app.core.config import Settings
from app.core.permissions import system
from app.core.security import passwords
from app.demo.loader import load_demo
from app.main import create_app
from app.migrate import upgrade


def test_the_demo_accounts(session):
    users = {u.username: u for u in session.exec(select(User))}
    assert {"city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader"} <= set(
        users
    )
    assert users["leader"].role is Role.leader
    assert all(passwords.verify("parkgrid-demo", u.password_hash) for u in users.values())


def test_production_refuses_to_start_while_a_demo_password_remains(engine, session, connection):
    prod = Settings(env="production", secret_key="p" * 40, database_url=str(engine.url))
    with pytest.raises(RuntimeError, match="city_admin"):
        create_app(prod, engine=engine)


def test_production_starts_once_every_demo_password_is_changed(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    with Session(engine) as s:
        load_demo(session=s)
        for i, u in enumerate(s.exec(select(User))):
            accounts.reset_password(
                session=s, who=system(), user_id=u.id, password=f"正式启用的密码-{i}-2026"
            )
        s.commit()
    prod = Settings(env="production", secret_key="p" * 40, database_url=str(engine.url))
    assert create_app(prod, engine=engine).state.settings.env == "production"
    engine.dispose()


def test_create_user_from_the_command_line(tmp_path, monkeypatch):
    from app.cli import cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PARKGRID_DATABASE_URL", url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        assert runner.invoke(cli, ["demo"]).exit_code == 0
        ok = runner.invoke(
            cli,
            ["create-user", "--username", "Chief", "--name", "市产改办主任"],
            input="a long admin password\na long admin password\n",
        )
        assert ok.exit_code == 0, ok.output
        assert "created user chief (city_admin)" in ok.output
        weak = runner.invoke(
            cli,
            ["create-user", "--username", "weak", "--name", "弱口令"],
            input="12345678\n12345678\n",
        )
        assert weak.exit_code == 2 and "过于常见" in weak.output
        with Session(db.get_engine()) as s:
            chief = s.exec(select(User).where(User.username == "chief")).one()
            assert passwords.verify("a long admin password", chief.password_hash)
            assert s.exec(select(User).where(User.username == "weak")).first() is None
    finally:
        db.get_engine().dispose()
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
