"""The password policy: zxcvbn's score of 3 at least, no username or name inside, none of
the last five; on creating a user, resetting, changing one's own and the command line."""

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from app.accounts import service as accounts
from app.accounts.models import PasswordHistory, User
from app.core import config, db
from app.core.errors import Invalid
from app.core.permissions import system
from app.core.security import passwords
from app.geo.models import Park

DEMO = "parkgrid-demo"
# The weak passwords that passed on main, with what each is refused for (the field is
# named by its Chinese label in the message).
WEAK = [
    ("aaaaaaaa", "太容易被猜到"),
    ("qwertyui", "太容易被猜到"),
    ("Wuxi2026", "太容易被猜到"),
    ("{username}1", "不能包含用户名"),
    ("{username_upper}-2026-秋天", "不能包含用户名"),
    ("我是{name}的新密码啊", "不能包含本人姓名"),
]


def _change(c, current: str, new: str):
    return c.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm_password": new},
        follow_redirects=False,
    )


def _fill(template: str, username: str, name: str) -> str:
    return template.format(username=username, username_upper=username.upper(), name=name)


@pytest.mark.parametrize(("weak", "reason"), WEAK)
def test_a_weak_new_password_of_ones_own_is_refused_in_chinese(login, session, weak, reason):
    user = session.exec(select(User).where(User.username == "park_huaxia")).one()
    resp = _change(login("park_huaxia"), DEMO, _fill(weak, user.username, user.display_name))
    assert resp.status_code == 422
    assert f"新密码{reason}" in resp.text and 'id="err-new_password"' in resp.text
    session.refresh(user)
    assert passwords.verify(DEMO, user.password_hash)  # unchanged


@pytest.mark.parametrize(("weak", "reason"), WEAK)
def test_a_weak_password_is_refused_when_creating_a_user(login, session, weak, reason):
    park = session.exec(select(Park.id).where(Park.name == "无锡盛阳食品城")).one()
    data = {
        "username": "zhao_lei",
        "display_name": "赵磊",
        "role": "park_admin",
        "scope": f"park:{park}",
        "password": _fill(weak, "zhao_lei", "赵磊"),
    }
    resp = login("city_admin").post("/admin/users", data=data)
    assert resp.status_code == 422
    assert f"密码{reason}" in resp.text and 'id="err-password"' in resp.text
    assert session.exec(select(User).where(User.username == "zhao_lei")).first() is None


@pytest.mark.parametrize(("weak", "reason"), WEAK)
def test_a_weak_password_is_refused_on_a_reset(login, session, weak, reason):
    user = session.exec(select(User).where(User.username == "liaison_huaxia_1")).one()
    resp = login("city_admin").post(
        f"/admin/users/{user.id}/password",
        data={"password": _fill(weak, user.username, user.display_name)},
    )
    assert resp.status_code == 422
    assert f"新密码{reason}" not in resp.text and f"密码{reason}" in resp.text
    session.refresh(user)
    assert passwords.verify(DEMO, user.password_hash)


def test_a_good_password_is_accepted_and_kept_in_the_history(login, session):
    resp = _change(login("park_huaxia"), DEMO, "蠡湖边的桂花 开了三回")
    assert resp.status_code == 303
    user = session.exec(select(User).where(User.username == "park_huaxia")).one()
    (kept,) = session.exec(select(PasswordHistory).where(PasswordHistory.user_id == user.id))
    assert kept.password_hash == user.password_hash
    assert passwords.verify("蠡湖边的桂花 开了三回", kept.password_hash)
    login("park_huaxia", "蠡湖边的桂花 开了三回")


SIX = [f"第{n}套 运河边的晨跑路线" for n in "一二三四五六"]


def test_none_of_the_last_five_passwords_may_be_chosen_again(login, session):
    current = DEMO
    for new in SIX:
        assert _change(login("park_huaxia", current), current, new).status_code == 303
        current = new
    user = session.exec(select(User).where(User.username == "park_huaxia")).one()
    kept = session.exec(select(PasswordHistory).where(PasswordHistory.user_id == user.id)).all()
    assert len(kept) == accounts.PASSWORD_HISTORY  # older ones are not kept
    c = login("park_huaxia", current)
    # The current one and the four before it are refused, each with its message...
    for old in SIX[1:]:
        resp = _change(c, current, old)
        assert resp.status_code == 422, old
        assert "新密码不能与最近 5 次用过的密码相同" in resp.text
    # ...the sixth back is allowed again.
    assert _change(c, current, SIX[0]).status_code == 303


def test_an_administrators_reset_may_not_reuse_the_last_five_either(login, session):
    user = session.exec(select(User).where(User.username == "leader")).one()
    admin = login("city_admin")
    for new in SIX[:2]:
        resp = admin.post(
            f"/admin/users/{user.id}/password", data={"password": new}, follow_redirects=False
        )
        assert resp.status_code == 303
    resp = admin.post(f"/admin/users/{user.id}/password", data={"password": SIX[0]})
    assert resp.status_code == 422 and "密码不能与最近 5 次用过的密码相同" in resp.text


def test_the_service_names_the_field_it_refuses(session):
    user = session.exec(select(User).where(User.username == "leader")).one()
    with pytest.raises(Invalid) as refused:
        accounts.reset_password(session=session, who=system(), user_id=user.id, password="Leader-8")
    assert refused.value.errors == {"password": "密码不能包含用户名。"}


def test_the_demo_accounts_keep_the_published_password(session):
    # The demo loader sets it without the policy (which would refuse it as too common).
    names = sorted(
        u.username
        for u in session.exec(select(User).where(col(User.username).in_(DEMO_ACCOUNTS)))
        if passwords.verify(DEMO, u.password_hash)
    )
    assert names == sorted(DEMO_ACCOUNTS)


DEMO_ACCOUNTS = ["city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader"]


def test_the_command_line_applies_the_policy(tmp_path, monkeypatch):
    from app.cli import cli

    monkeypatch.setenv("PARKGRID_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        assert runner.invoke(cli, ["demo"]).exit_code == 0
        for password, message in [
            ("Wuxi2026", "password: 密码太容易被猜到"),
            ("chief-of-the-office", "password: 密码不能包含用户名"),
            ("主任王建国的密码", "password: 密码不能包含本人姓名"),
        ]:
            weak = runner.invoke(
                cli,
                ["create-user", "--username", "chief", "--name", "王建国"],
                input=f"{password}\n{password}\n",
            )
            assert weak.exit_code == 2 and message in weak.output, weak.output
        ok = runner.invoke(
            cli,
            ["create-user", "--username", "chief", "--name", "王建国"],
            input="太湖东岸的灯塔 2026\n太湖东岸的灯塔 2026\n",
        )
        assert ok.exit_code == 0, ok.output
    finally:
        db.get_engine().dispose()
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
