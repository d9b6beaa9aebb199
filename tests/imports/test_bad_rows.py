"""A workbook with a bad row of every kind: one precise error per bad row, nothing imported,
and the file comes back with each bad cell marked."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import col, func, select

from app.audit.models import AuditAction, AuditLog
from app.enterprises.models import Enterprise, Liaison
from app.geo.models import Grid, Park
from app.imports.models import ImportLine, ImportStatus, LineKind
from tests.imports.books import code, download, fill, job, job_of, upload

NEW_MOBILE = "13800000001"


@pytest.fixture
def park(session) -> Park:
    return session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()


def _grids(session, park_id) -> list[Grid]:
    return list(
        session.exec(select(Grid).where(Grid.park_id == park_id).order_by(col(Grid.sort_order)))
    )


def _firm(n, grid, **over):
    """An enterprise row in the template's column order, valid unless overridden."""
    row = {
        "code": code(n),
        "name": f"导入测试企业{n}有限公司",
        "grid": grid,
        "ownership": "民企",
        "size": "小型",
        "industry": "家居",
        "workers": 20,
        "union": "是",
        "contract": "否",
        "reform": "是",
        "type": "赋能成长型",
        "liaison": "",
        "node": "否",
    } | over
    return list(row.values())


def bad_rows_book(session, client, park: Park):
    """The park's template with good rows and one bad row of each of 14 kinds.

    Returns the workbook and the expected errors: (sheet, row, column, words in the message).
    """
    grids = _grids(session, park.id)
    with_node = next(
        g
        for g in grids
        if session.exec(
            select(Enterprise).where(Enterprise.grid_id == g.id, col(Enterprise.is_node))
        ).first()
    )
    elsewhere = session.exec(
        select(Enterprise)
        .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
        .join(Park, col(Park.id) == col(Grid.park_id))
        .where(Park.name == "无锡盛阳食品城")
    ).first()
    g0 = grids[0].name
    bad_check = code(3)[:-1] + ("0" if code(3)[-1] != "0" else "1")
    book = fill(
        download(client, f"/parks/{park.id}/import-template.xlsx"),
        {
            "联络员": [
                ["导入测试联络员", NEW_MOBILE, "企业产改联络员"],
                ["号码不对的人", "1380000", "企业产改联络员"],  # 1 bad mobile number
            ],
            "网格": [
                ["导入测试网格", "产业集群", 99, ""],
                ["导入测试网格", "区域", 100, ""],  # 2 a grid twice in the file
            ],
            "企业": [
                _firm(1, "导入测试网格", liaison=NEW_MOBILE),  # row 2: good
                _firm(2, g0),  # row 3: good
                _firm(3, g0, code=bad_check),  # 3 wrong check character
                _firm(4, g0, code=code(1)),  # 4 the same code as row 2
                _firm(5, g0, code=elsewhere.credit_code),  # 5 registered in another park
                _firm(6, "不存在的网格"),  # 6 unknown grid
                _firm(7, g0, workers="约200"),  # 7 a word in a number column
                _firm(8, g0, name=None),  # 8 a required cell left empty
                _firm(9, g0, ownership="集体"),  # 9 not one of the choices
                _firm(10, g0, union="否", contract="是"),  # 10 contract without a union
                _firm(11, with_node.name, node="是"),  # 11 a second node enterprise
                _firm(12, g0, liaison="13999999999"),  # 12 nobody with this mobile
                _firm(13, g0, reform="否"),  # 13 a reform type outside the reform
                _firm(14, g0, union="有"),  # 14 a flag that is neither 是 nor 否
                _firm(15, g0, code="9132021"),  # 15 a code far too short
            ],
        },
    )
    expected = [
        ("联络员", 3, "B", "11 位"),
        ("网格", 3, "A", "与本表第 2 行重复"),
        ("企业", 4, "A", f"第 18 位应为 {code(3)[-1]}"),
        ("企业", 5, "A", "与本表第 2 行重复"),
        ("企业", 6, "A", "已在其他园区登记"),
        ("企业", 7, "C", "园区没有名为“不存在的网格”的网格"),
        ("企业", 8, "G", "读到的是“约200”"),
        ("企业", 9, "B", "“企业名称”必填"),
        ("企业", 10, "D", "读到的是“集体”"),
        ("企业", 11, "I", "集体合同须经工会签订"),
        ("企业", 12, "M", f"网格“{with_node.name}”已有节点企业"),
        ("企业", 13, "L", "没有手机号为 13999999999 的联络员"),
        ("企业", 14, "K", "只有参与产改的企业才有产改类型"),
        ("企业", 15, "H", "读到的是“有”"),
        ("企业", 16, "A", "18"),
    ]
    return book, expected


def test_every_bad_row_gets_one_precise_error_and_nothing_is_imported(login, session, park):
    client = login("park_huaxia")
    before = session.exec(
        select(func.count(col(Enterprise.id)))
        .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
        .where(Grid.park_id == park.id)
    ).one()
    book, expected = bad_rows_book(session, client, park)
    job_id = job_of(upload(client, park.id, book, "坏行.xlsx"))

    j = job(session, job_id)
    assert j.status is ImportStatus.invalid
    assert j.errors == len(expected) == 15
    found = list(
        session.exec(
            select(ImportLine)
            .where(ImportLine.job_id == job_id, ImportLine.kind == LineKind.error)
            .order_by(col(ImportLine.id))
        )
    )
    by_row = {(e.sheet, e.row): e for e in found}
    assert len(by_row) == len(found), "a bad row got more than one error"
    assert sorted(by_row) == sorted((s, r) for s, r, _c, _w in expected)
    for sheet, row, column, words in expected:
        e = by_row[(sheet, row)]
        assert e.column == column, (sheet, row, e.column, e.message)
        assert words in e.message, (sheet, row, e.message)
    # The counts: 2 good enterprises would be new, 14 rows in error on that sheet.
    assert j.counts["enterprises"] == {"new": 2, "updated": 0, "unchanged": 0, "error": 13}
    assert j.counts["liaisons"]["error"] == 1 and j.counts["grids"]["error"] == 1

    page = client.get(f"/imports/{job_id}")
    # The preview with its errors is a normal page; only a bad request is a 4xx.
    assert page.status_code == 200
    assert "确认导入" not in page.text
    assert "企业" in page.text and "约200" in page.text
    assert client.post(f"/imports/{job_id}/confirm").status_code == 409

    # Nothing was imported: not the good rows either, and no change is on record.
    after = session.exec(
        select(func.count(col(Enterprise.id)))
        .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
        .where(Grid.park_id == park.id)
    ).one()
    assert after == before
    assert session.exec(select(Liaison).where(Liaison.mobile == NEW_MOBILE)).first() is None
    assert session.exec(select(Grid).where(Grid.name == "导入测试网格")).first() is None
    assert (
        session.exec(select(AuditLog).where(AuditLog.action == AuditAction.imported)).first()
        is None
    )


def test_the_file_comes_back_with_each_bad_cell_marked(login, session, park):
    client = login("park_huaxia")
    book, expected = bad_rows_book(session, client, park)
    job_id = job_of(upload(client, park.id, book))
    resp = client.get(f"/imports/{job_id}/errors.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(BytesIO(resp.content))
    for sheet, row, column, words in expected:
        cell = wb[sheet][f"{column}{row}"]
        assert cell.fill.start_color.rgb.endswith("FFC7CE"), (sheet, row, column)
        assert words in cell.comment.text
    # A good row is left as it was.
    assert wb["企业"]["A3"].comment is None
    assert wb["企业"]["A3"].fill.start_color.rgb in ("00000000", None)


def test_a_district_office_imports_into_its_own_parks_only(login, session, park):
    client = login("district_liangxi")
    book, _expected = bad_rows_book(session, client, park)
    assert job_of(upload(client, park.id, book)) > 0
    huishan = session.exec(select(Park).where(Park.name.like("%惠山%"))).first()
    assert upload(client, huishan.id, book).status_code == 404
    assert client.get(f"/parks/{huishan.id}/import-template.xlsx").status_code == 404
