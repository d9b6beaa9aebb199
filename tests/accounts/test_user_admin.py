"""User administration by the city office, and by a district office within its district."""

import pytest
from sqlmodel import select

from app.accounts.models import Role, User, UserScope
from app.audit.models import AuditAction, AuditLog
from app.geo.models import Area, Park
from tests.helpers import table_rows


def _id(session, model, **where):
    stmt = select(model.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return session.exec(stmt).one()


def _new_user(park_id: int, **extra) -> dict:
    return {
        "username": "zhang_wei",
        "display_name": "张伟",
        "role": "park_admin",
        "scope": f"park:{park_id}",
        "password": "园区管理员的长密码",
        **extra,
    }


def test_city_admin_creates_a_user_who_can_log_in(login, session):
    admin = login("city_admin")
    park = _id(session, Park, name="无锡盛阳食品城")
    resp = admin.post("/admin/users", data=_new_user(park), follow_redirects=False)
    assert resp.status_code == 303
    user = session.exec(select(User).where(User.username == "zhang_wei")).one()
    assert user.role is Role.park_admin and user.password_hash.startswith("$argon2id$")
    (row,) = session.exec(
        select(AuditLog).where(
            AuditLog.action == AuditAction.create, AuditLog.object_type == "User"
        )
    ).all()
    assert row.after["username"] == "zhang_wei" and row.after["scope"] == [f"park:{park}"]
    assert "password_hash" not in row.after
    c = login("zhang_wei", "园区管理员的长密码")
    assert c.get(f"/parks/{park}").status_code == 200
    assert c.get(f"/parks/{_id(session, Park, name='无锡华夏家居港')}").status_code == 404


def test_district_office_administers_only_its_district(login, session):
    district = login("district_liangxi")
    names = [r[0] for r in table_rows(district.get("/admin/users").text, "users")]
    assert set(names) == {"district_liangxi", "park_huaxia", "liaison_huaxia_1"}

    inside = _id(session, Park, name="无锡盛阳食品城")
    assert (
        district.post("/admin/users", data=_new_user(inside), follow_redirects=False).status_code
        == 303
    )

    outside = _id(session, Park, name="无锡惠山高新技术产业创业服务中心")
    resp = district.post("/admin/users", data=_new_user(outside, username="li_na"))
    assert resp.status_code == 422 and "超出您的管理范围" in resp.text
    city = _id(session, Area, level="city")
    resp = district.post(
        "/admin/users",
        data=_new_user(city, username="boss", role="city_admin") | {"scope": f"area:{city}"},
    )
    assert resp.status_code == 422 and "超出您的管理范围" in resp.text
    assert session.exec(select(User).where(User.username.in_(["li_na", "boss"]))).all() == []

    leader = _id(session, User, username="leader")
    assert district.get(f"/admin/users/{leader}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"username": "Bad Name"}, "username", "用户名"),
        ({"username": "park_huaxia"}, "username", "已被使用"),
        ({"display_name": ""}, "display_name", "姓名不能为空"),
        ({"scope": ""}, "scope", "管理范围"),
        ({"role": "emperor"}, "role", "角色的取值不在可选范围内"),
        ({"password": "12345678"}, "password", "过于常见"),
        ({"role": "district_office"}, "scope", "不能是这一类对象"),
        # A number no id can be (it was a 500 on PostgreSQL), and digits int() refuses.
        ({"scope": "park:99999999999999999999"}, "scope", "超出"),
        ({"scope": "park:²"}, "scope", "不能是这一类对象"),
    ],
)
def test_bad_user_input_names_the_field_and_saves_nothing(login, session, change, field, message):
    admin = login("city_admin")
    park = _id(session, Park, name="无锡盛阳食品城")
    before = len(session.exec(select(User)).all())
    resp = admin.post("/admin/users", data=_new_user(park) | change)
    assert resp.status_code == 422
    assert f'id="err-{field}"' in resp.text and message in resp.text
    session.expire_all()
    assert len(session.exec(select(User)).all()) == before


def test_a_grid_liaison_may_have_several_grids(login, session):
    admin = login("city_admin")
    from app.geo.models import Grid

    grids = session.exec(
        select(Grid.id).where(Grid.park_id == _id(session, Park, name="无锡盛阳食品城"))
    ).all()[:3]
    data = {
        "username": "wang_fang",
        "display_name": "王芳",
        "role": "grid_liaison",
        "scope": [f"grid:{g}" for g in grids],
        "password": "网格联络员的长密码",
    }
    assert admin.post("/admin/users", data=data, follow_redirects=False).status_code == 303
    uid = _id(session, User, username="wang_fang")
    assert sorted(
        s.grid_id for s in session.exec(select(UserScope).where(UserScope.user_id == uid))
    ) == sorted(grids)


def test_update_reset_and_disable_are_audited(login, session):
    admin = login("city_admin")
    uid = _id(session, User, username="park_huaxia")
    park = _id(session, Park, name="无锡华夏家居港")
    r = admin.post(
        f"/admin/users/{uid}",
        data={"display_name": "华夏港产改专员", "role": "park_admin", "scope": f"park:{park}"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (
        admin.post(
            f"/admin/users/{uid}/password",
            data={"password": "重置后的新密码二〇二六"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    login("park_huaxia", "重置后的新密码二〇二六")
    assert (
        admin.post(
            f"/admin/users/{uid}/active", data={"active": "0"}, follow_redirects=False
        ).status_code
        == 303
    )
    rows = session.exec(
        select(AuditLog).where(
            AuditLog.object_type == "User",
            AuditLog.object_id == uid,
            AuditLog.action == AuditAction.update,
        )
    ).all()
    assert len(rows) == 3
    assert (
        rows[0].before["display_name"] == "华夏家居港产改机构"
        and rows[0].after["display_name"] == "华夏港产改专员"
    )
    assert rows[2].before["is_active"] is True and rows[2].after["is_active"] is False
    page = admin.get(f"/admin/users/{uid}").text
    assert "华夏港产改专员" in page and "启用该用户" in page and "变更记录" in page


def test_one_cannot_disable_oneself(login, session):
    admin = login("city_admin")
    me = _id(session, User, username="city_admin")
    resp = admin.post(f"/admin/users/{me}/active", data={"active": "0"})
    assert resp.status_code == 422 and "不能停用自己的账号" in resp.text
