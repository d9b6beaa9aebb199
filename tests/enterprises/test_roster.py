"""The roster in the grid: add, edit, move, designate the node enterprise; scope and audit."""

import re
from html import unescape

import pytest
from sqlmodel import col, func, select
from stdnum.cn import uscc

from app.audit.models import AuditAction, AuditLog
from app.enterprises.models import Enterprise, Liaison, LiaisonRole
from app.geo.models import Grid, Park

HX = {"HX-Request": "true"}


def make_code(serial: int) -> str:
    """A valid credit code in 梁溪区 (320213) that the demo does not use."""
    body = f"91320213MAW{serial:06d}"
    return body + uscc.calc_check_digit(body)


def text(html: str) -> str:
    """A page's visible text, tags stripped, whitespace squeezed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def form(**changes) -> dict[str, str]:
    """A valid add form for a small private enterprise; changes override fields."""
    data = {
        "credit_code": make_code(1),
        "name": "无锡星河软装有限公司",
        "ownership": "private",
        "size": "small",
        "industry": "软装设计",
        "worker_count": "35",
        "union_founded": "on",
        "collective_contract": "on",
        "in_reform": "on",
        "reform_type": "growth",
        "liaison_id": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def huaxia(session) -> Park:
    return session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()


def grids_of(session, park_name: str) -> list[Grid]:
    park = session.exec(select(Park).where(Park.name == park_name)).one()
    return list(
        session.exec(select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order)))
    )


@pytest.fixture
def grid_a(session) -> Grid:
    """无锡华夏家居港's A区网格: 6 enterprises, node 无锡元通家居有限公司 (the demo)."""
    return grids_of(session, "无锡华夏家居港")[0]


@pytest.fixture
def grid_b(session) -> Grid:
    return grids_of(session, "无锡华夏家居港")[1]


@pytest.fixture
def shengyang_grid(session) -> Grid:
    return grids_of(session, "无锡盛阳食品城")[0]


def enterprises_of(session, grid: Grid) -> list[Enterprise]:
    session.expire_all()
    return list(session.exec(select(Enterprise).where(Enterprise.grid_id == grid.id)))


def node_of(session, grid: Grid) -> Enterprise | None:
    nodes = [e for e in enterprises_of(session, grid) if e.is_node]
    assert len(nodes) <= 1
    return nodes[0] if nodes else None


def an_ordinary(session, grid: Grid) -> Enterprise:
    return min((e for e in enterprises_of(session, grid) if not e.is_node), key=lambda e: e.id)


def audit_rows(session, enterprise_id: int) -> list[AuditLog]:
    session.expire_all()
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.object_type == "Enterprise", AuditLog.object_id == enterprise_id)
            .order_by(col(AuditLog.id))
        )
    )


def card_names(html: str) -> list[str]:
    return [text(m) for m in re.findall(r'<h3 class="roster-name"><a [^>]*>(.*?)</a>', html, re.S)]


# ---- adding ------------------------------------------------------------------------


def test_a_park_admin_adds_an_enterprise_with_a_valid_code(login, session, grid_a):
    client = login("park_huaxia")
    before = len(enterprises_of(session, grid_a))
    code = make_code(1)
    assert uscc.is_valid(code)

    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(), follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith(f"http://testserver/grids/{grid_a.id}/roster?")

    added = session.exec(select(Enterprise).where(Enterprise.credit_code == code)).one()
    assert (added.grid_id, added.name, added.worker_count, added.is_node) == (
        grid_a.id,
        "无锡星河软装有限公司",
        35,
        False,
    )
    assert added.union_founded and added.collective_contract and added.in_reform
    assert added.reform_type == "growth"
    assert len(enterprises_of(session, grid_a)) == before + 1

    page = client.get(resp.headers["location"]).text
    assert "已将 无锡星河软装有限公司 加入企业名录。" in text(page)
    assert "无锡星河软装有限公司" in card_names(page)
    assert f"共 {before + 1} 家企业" in text(page)

    (row,) = audit_rows(session, added.id)
    assert row.action == AuditAction.create and row.username == "park_huaxia"
    assert row.after["credit_code"] == code and row.after["grid_id"] == grid_a.id


def test_with_htmx_the_form_comes_back_empty_to_add_the_next_one(login, session, grid_a):
    client = login("liaison_huaxia_1")
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(), headers=HX)
    assert resp.status_code == 200
    assert "已将 无锡星河软装有限公司 加入企业名录。" in text(resp.text)
    assert 'name="name" value=""' in resp.text  # a fresh form
    assert session.exec(select(Enterprise).where(Enterprise.credit_code == make_code(1))).one()


def test_a_code_already_in_the_park_says_which_grid(login, session, grid_a, grid_b):
    client = login("park_huaxia")
    other = an_ordinary(session, grid_b)
    before = session.exec(select(func.count(col(Enterprise.id)))).one()
    # Typed in lower case with spaces: it is the same code once tidied.
    typed = " " + other.credit_code.lower() + " "
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(credit_code=typed))
    assert resp.status_code == 422
    assert f"该统一社会信用代码已登记：无锡华夏家居港 · {grid_b.name}，{other.name}。" in text(
        resp.text
    )
    assert session.exec(select(func.count(col(Enterprise.id)))).one() == before


def test_a_code_registered_out_of_view_names_no_place(login, session, grid_a, shengyang_grid):
    client = login("liaison_huaxia_1")
    other = an_ordinary(session, shengyang_grid)
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(credit_code=other.credit_code))
    assert resp.status_code == 422
    page = text(resp.text)
    assert "该统一社会信用代码已在其他园区登记。" in page
    assert "无锡盛阳食品城" not in page and other.name not in page


def test_the_city_office_is_told_where_a_code_in_another_park_is(
    login, session, grid_a, shengyang_grid
):
    client = login("city_admin")
    other = an_ordinary(session, shengyang_grid)
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(credit_code=other.credit_code))
    assert resp.status_code == 422
    assert f"无锡盛阳食品城 · {shengyang_grid.name}，{other.name}" in text(resp.text)


def test_a_wrong_check_character_names_the_expected_one(login, session, grid_a):
    client = login("park_huaxia")
    good = make_code(2)
    wrong = "A" if good[-1] != "A" else "B"
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(credit_code=good[:17] + wrong))
    assert resp.status_code == 422
    assert "校验码错误" in text(resp.text) and f"应为 {good[-1]}" in text(resp.text)
    assert 'aria-invalid="true" aria-describedby="err-credit_code"' in resp.text
    # What the user typed stays in the form.
    assert 'value="无锡星河软装有限公司"' in resp.text


def test_a_code_registered_by_someone_else_meanwhile_is_a_409(
    login, session, grid_a, grid_b, monkeypatch
):
    # Two saves racing on PostgreSQL: both pass the check, the database refuses the second.
    from app.enterprises import service as roster_service

    monkeypatch.setattr(roster_service, "_registered_where", lambda *a: None)
    other = an_ordinary(session, grid_b)
    before = len(enterprises_of(session, grid_a))
    resp = login("park_huaxia").post(
        f"/grids/{grid_a.id}/enterprises", data=form(credit_code=other.credit_code)
    )
    assert resp.status_code == 409
    assert "他人刚刚登记了该统一社会信用代码" in text(resp.text)
    assert len(enterprises_of(session, grid_a)) == before


def test_a_short_code_names_the_field_once(login, grid_a):
    resp = login("park_huaxia").post(
        f"/grids/{grid_a.id}/enterprises", data=form(credit_code="9132021312345")
    )
    assert resp.status_code == 422
    assert "统一社会信用代码应为 18 位。" in text(resp.text)
    assert "统一社会信用代码：统一社会信用代码" not in text(resp.text)


def test_a_collective_contract_without_a_union_is_refused(login, session, grid_a):
    client = login("park_huaxia")
    before = len(enterprises_of(session, grid_a))
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(union_founded=None))
    assert resp.status_code == 422
    assert "集体合同须由工会协商签订：请先勾选“已建会”" in text(resp.text)
    assert 'id="err-collective_contract"' in resp.text
    assert len(enterprises_of(session, grid_a)) == before


def test_a_reform_type_needs_the_enterprise_in_the_reform(login, grid_a):
    client = login("park_huaxia")
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(in_reform=None))
    assert resp.status_code == 422
    assert "只有参与产改的企业才有产改类型" in text(resp.text)


def test_every_problem_shows_in_one_round(login, grid_a):
    client = login("park_huaxia")
    resp = client.post(
        f"/grids/{grid_a.id}/enterprises",
        data=form(name="", worker_count="-3", union_founded=None),
    )
    assert resp.status_code == 422
    page = text(resp.text)
    assert "企业名称不能为空" in page
    assert "职工人数：请填写不小于 0 的整数。" in page
    assert "集体合同须由工会协商签订" in page


@pytest.mark.parametrize("count", ["-3", "2.5", "三十", "1e3"])
def test_the_worker_count_is_a_whole_number(login, grid_a, count):
    client = login("park_huaxia")
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(worker_count=count))
    assert resp.status_code == 422
    assert "职工人数：请填写不小于 0 的整数。" in text(resp.text)


def test_a_new_enterprise_liaison_is_created_with_a_checked_mobile(login, session, grid_a, huaxia):
    client = login("liaison_huaxia_1")
    bad = client.post(
        f"/grids/{grid_a.id}/enterprises",
        data=form(new_liaison_name="周晓梅", new_liaison_mobile="1381234567"),
    )
    assert bad.status_code == 422
    assert "新联络员手机号：手机号" in text(bad.text) and "11 位" in text(bad.text)
    assert not session.exec(select(Liaison).where(Liaison.name == "周晓梅")).first()

    ok = client.post(
        f"/grids/{grid_a.id}/enterprises",
        data=form(new_liaison_name="周晓梅", new_liaison_mobile="+86 139-0510-7788"),
        follow_redirects=False,
    )
    assert ok.status_code == 303
    person = session.exec(select(Liaison).where(Liaison.name == "周晓梅")).one()
    assert (person.park_id, person.mobile, person.role) == (
        huaxia.id,
        "13905107788",
        LiaisonRole.enterprise_liaison,
    )
    added = session.exec(select(Enterprise).where(Enterprise.credit_code == make_code(1))).one()
    assert added.liaison_id == person.id
    created = session.exec(
        select(AuditLog).where(AuditLog.object_type == "Liaison", AuditLog.object_id == person.id)
    ).one()
    assert created.action == AuditAction.create and created.after["mobile"] == "13905107788"


def test_an_enterprise_liaison_of_another_park_is_not_a_choice(
    login, session, grid_a, shengyang_grid
):
    client = login("park_huaxia")
    elsewhere = session.exec(
        select(Liaison).where(
            Liaison.park_id == shengyang_grid.park_id,
            Liaison.role == LiaisonRole.enterprise_liaison,
        )
    ).first()
    resp = client.post(f"/grids/{grid_a.id}/enterprises", data=form(liaison_id=str(elsewhere.id)))
    assert resp.status_code == 422
    assert "企业产改联络员" in text(resp.text) and 'id="err-liaison_id"' in resp.text


def test_the_add_form_offers_the_parks_enterprise_liaisons(login, session, grid_a, huaxia):
    page = login("liaison_huaxia_1").get(f"/grids/{grid_a.id}/enterprises")
    assert page.status_code == 200
    offered = set(map(int, re.findall(r'<option value="(\d+)"', page.text)))
    expected = set(
        session.exec(
            select(Liaison.id).where(
                Liaison.park_id == huaxia.id, Liaison.role == LiaisonRole.enterprise_liaison
            )
        )
    )
    assert offered == expected and len(expected) > 50


# ---- editing -----------------------------------------------------------------------


def _edit_form(e: Enterprise, **changes) -> dict[str, str]:
    data = {
        "credit_code": e.credit_code,
        "name": e.name,
        "ownership": e.ownership.value,
        "size": e.size.value,
        "industry": e.industry,
        "worker_count": str(e.worker_count),
        "union_founded": "on" if e.union_founded else None,
        "collective_contract": "on" if e.collective_contract else None,
        "in_reform": "on" if e.in_reform else None,
        "reform_type": e.reform_type.value if e.reform_type else "",
        "liaison_id": str(e.liaison_id or ""),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_editing_saves_and_the_history_shows_before_and_after(login, session, grid_a):
    client = login("liaison_huaxia_1")
    e = an_ordinary(session, grid_a)
    old_count = e.worker_count
    resp = client.post(
        f"/enterprises/{e.id}",
        data=_edit_form(e, worker_count=str(old_count + 12), industry="全屋定制"),
        follow_redirects=False,
    )
    assert resp.status_code == 303
    page = client.get(resp.headers["location"]).text
    assert "修改已保存。" in text(page)

    session.expire_all()
    stored = session.get(Enterprise, e.id)
    assert (stored.worker_count, stored.industry) == (old_count + 12, "全屋定制")
    row = audit_rows(session, e.id)[-1]
    assert row.action == AuditAction.update
    assert (row.before["worker_count"], row.after["worker_count"]) == (old_count, old_count + 12)
    # The history names the fields in Chinese.
    assert f"职工人数 ： {old_count} → {old_count + 12}" in text(page)


def test_saving_an_unchanged_form_leaves_no_history(login, session, grid_a):
    client = login("park_huaxia")
    e = an_ordinary(session, grid_a)
    resp = client.post(f"/enterprises/{e.id}", data=_edit_form(e), headers=HX)
    assert resp.status_code == 200 and "修改已保存。" in text(resp.text)
    assert audit_rows(session, e.id) == []


def test_an_edit_that_breaks_a_rule_changes_nothing(login, session, grid_a):
    client = login("park_huaxia")
    e = next(x for x in enterprises_of(session, grid_a) if x.collective_contract)
    resp = client.post(
        f"/enterprises/{e.id}", data=_edit_form(e, union_founded=None, name="改名有限公司")
    )
    assert resp.status_code == 422
    assert "集体合同须由工会协商签订" in text(resp.text)
    session.expire_all()
    assert (
        session.get(Enterprise, e.id).name == e.name and session.get(Enterprise, e.id).union_founded
    )


# ---- moving ------------------------------------------------------------------------


def test_an_enterprise_moves_to_another_grid_of_its_park(login, session, grid_a, grid_b):
    client = login("park_huaxia")
    e = an_ordinary(session, grid_a)
    a_before, b_before = len(enterprises_of(session, grid_a)), len(enterprises_of(session, grid_b))
    resp = client.post(
        f"/enterprises/{e.id}/move", data={"grid_id": str(grid_b.id)}, follow_redirects=False
    )
    assert resp.status_code == 303
    page = client.get(resp.headers["location"]).text
    assert f"{e.name} 已从{grid_a.name}移至{grid_b.name}。" in text(page)
    # The history names both grids, not their ids.
    assert f"网格 ： {grid_a.name} → {grid_b.name}" in text(page)
    assert len(enterprises_of(session, grid_a)) == a_before - 1
    assert len(enterprises_of(session, grid_b)) == b_before + 1
    row = audit_rows(session, e.id)[-1]
    assert (row.before["grid_id"], row.after["grid_id"]) == (grid_a.id, grid_b.id)
    assert e.name in card_names(client.get(f"/grids/{grid_b.id}/roster").text)
    assert e.name not in card_names(client.get(f"/grids/{grid_a.id}/roster").text)


def test_a_node_enterprise_that_moves_stops_being_node(login, session, grid_a, grid_b):
    client = login("park_huaxia")
    node = node_of(session, grid_a)
    b_node = node_of(session, grid_b)
    resp = client.post(f"/enterprises/{node.id}/move", data={"grid_id": str(grid_b.id)}, headers=HX)
    assert resp.status_code == 200
    page = text(resp.text)
    assert f"它原是{grid_a.name}的节点企业，移出后不再是节点企业" in page
    assert node_of(session, grid_a) is None
    assert node_of(session, grid_b).id == b_node.id  # B keeps its own node
    row = audit_rows(session, node.id)[-1]
    assert (row.before["is_node"], row.after["is_node"]) == (True, False)


def test_moving_to_a_grid_of_another_park_is_refused(login, session, grid_a, shengyang_grid):
    e = an_ordinary(session, grid_a)
    # The city office may change both grids: the rule of the roster says no, naming the field.
    resp = login("city_admin").post(
        f"/enterprises/{e.id}/move", data={"grid_id": str(shengyang_grid.id)}
    )
    assert resp.status_code == 422
    assert f"企业只能在本园区的网格之间移动；{shengyang_grid.name}属于其他园区。" in text(resp.text)
    # The park administrator may not touch that grid at all: it is simply not found.
    resp = login("park_huaxia").post(
        f"/enterprises/{e.id}/move", data={"grid_id": str(shengyang_grid.id)}
    )
    assert resp.status_code == 404
    session.expire_all()
    assert session.get(Enterprise, e.id).grid_id == grid_a.id
    assert audit_rows(session, e.id) == []


def test_a_liaison_moves_nothing_into_a_grid_not_theirs(login, session, grid_a, grid_b):
    client = login("liaison_huaxia_1")
    e = an_ordinary(session, grid_a)
    page = client.get(f"/enterprises/{e.id}").text
    assert "您无权修改本园区的其他网格" in text(page)
    resp = client.post(f"/enterprises/{e.id}/move", data={"grid_id": str(grid_b.id)})
    assert resp.status_code == 404
    session.expire_all()
    assert session.get(Enterprise, e.id).grid_id == grid_a.id


def test_moving_to_the_same_grid_says_so(login, session, grid_a):
    e = an_ordinary(session, grid_a)
    resp = login("park_huaxia").post(f"/enterprises/{e.id}/move", data={"grid_id": str(grid_a.id)})
    assert resp.status_code == 422 and f"该企业已在{grid_a.name}。" in text(resp.text)


# ---- the node enterprise -----------------------------------------------------------


def test_switching_the_node_keeps_exactly_one_and_audits_both(login, session, grid_a):
    client = login("liaison_huaxia_1")
    old = node_of(session, grid_a)
    new = an_ordinary(session, grid_a)
    resp = client.post(f"/enterprises/{new.id}/node", data={"back": "roster", "q": ""}, headers=HX)
    assert resp.status_code == 200
    assert "<html" not in resp.text and 'id="roster-list"' in resp.text
    assert f"{new.name} 已设为{grid_a.name}的节点企业。" in text(resp.text)
    assert f"{old.name} 不再是节点企业。" in text(resp.text)
    # The new node leads the list.
    assert card_names(resp.text)[0] == new.name

    assert node_of(session, grid_a).id == new.id
    old_row, new_row = audit_rows(session, old.id)[-1], audit_rows(session, new.id)[-1]
    assert (old_row.before["is_node"], old_row.after["is_node"]) == (True, False)
    assert (new_row.before["is_node"], new_row.after["is_node"]) == (False, True)
    assert old_row.id < new_row.id  # the old one was unset first


def test_designating_the_node_without_javascript_redirects(login, session, grid_a):
    client = login("park_huaxia")
    new = an_ordinary(session, grid_a)
    resp = client.post(f"/enterprises/{new.id}/node", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].endswith(f"/enterprises/{new.id}?done=node")
    page = client.get(resp.headers["location"]).text
    assert f"{new.name} 已设为{grid_a.name}的节点企业。" in text(page)
    assert node_of(session, grid_a).id == new.id


def test_designating_the_current_node_again_changes_nothing(login, session, grid_a):
    node = node_of(session, grid_a)
    resp = login("park_huaxia").post(f"/enterprises/{node.id}/node", follow_redirects=False)
    assert resp.status_code == 303
    assert audit_rows(session, node.id) == []


def test_a_grid_without_a_node_gets_one(login, session, grid_a, grid_b):
    client = login("park_huaxia")
    node = node_of(session, grid_a)
    client.post(f"/enterprises/{node.id}/move", data={"grid_id": str(grid_b.id)})
    assert node_of(session, grid_a) is None
    e = an_ordinary(session, grid_a)
    page = client.get(f"/enterprises/{e.id}").text
    assert f"{grid_a.name}尚无节点企业。" in text(page)
    client.post(f"/enterprises/{e.id}/node")
    assert node_of(session, grid_a).id == e.id


# ---- scope -------------------------------------------------------------------------


def test_the_liaison_of_one_grid_gets_404_on_another_grids_writes(login, session, grid_b):
    client = login("liaison_huaxia_1")
    e = an_ordinary(session, grid_b)
    # Viewing the park's other grids is allowed (mutual learning); changing them is not.
    page = client.get(f"/grids/{grid_b.id}/roster")
    assert (
        page.status_code == 200 and "添加企业" not in page.text and "设为节点企业" not in page.text
    )
    assert client.get(f"/enterprises/{e.id}").status_code == 200
    assert client.get(f"/grids/{grid_b.id}/enterprises").status_code == 404
    assert client.post(f"/grids/{grid_b.id}/enterprises", data=form()).status_code == 404
    assert client.post(f"/enterprises/{e.id}", data=_edit_form(e)).status_code == 404
    assert client.post(f"/enterprises/{e.id}/node").status_code == 404
    assert client.post(f"/enterprises/{e.id}/move", data={"grid_id": "1"}).status_code == 404
    assert node_of(session, grid_b).id != e.id


def test_a_leader_reads_the_roster_and_gets_404_on_every_write(login, session, grid_a, grid_b):
    client = login("leader")
    e = an_ordinary(session, grid_a)
    page = client.get(f"/grids/{grid_a.id}/roster")
    assert page.status_code == 200 and "添加企业" not in page.text
    assert "设为节点企业" not in page.text
    detail = client.get(f"/enterprises/{e.id}")
    assert detail.status_code == 200 and 'name="credit_code"' not in detail.text
    assert client.get(f"/grids/{grid_a.id}/enterprises").status_code == 404
    assert client.post(f"/grids/{grid_a.id}/enterprises", data=form()).status_code == 404
    assert client.post(f"/enterprises/{e.id}", data=_edit_form(e)).status_code == 404
    assert client.post(f"/enterprises/{e.id}/node").status_code == 404
    assert (
        client.post(f"/enterprises/{e.id}/move", data={"grid_id": str(grid_b.id)}).status_code
        == 404
    )
    # Nothing changed; each attempt on the enterprise is on the trail as a denial.
    assert [r.action for r in audit_rows(session, e.id)] == [AuditAction.denied] * 3


def test_another_parks_roster_is_not_found(login, shengyang_grid):
    assert login("park_huaxia").get(f"/grids/{shengyang_grid.id}/roster").status_code == 404
