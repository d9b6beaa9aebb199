"""Files that are not a plain roster workbook are refused whole, before any job starts."""

import os
import zipfile
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from app.imports.models import ImportJob
from app.imports.workbook import MAX_COLUMNS
from tests.imports.books import download, upload


@pytest.fixture
def office(login):
    return login("park_huaxia")


@pytest.fixture
def park_id(session):
    from app.geo.models import Park

    return session.exec(select(Park.id).where(Park.name == "无锡华夏家居港")).one()


def _jobs(session) -> int:
    return session.exec(select(func.count()).select_from(ImportJob)).one()


def _refused(session, office, park_id, content, status, words, filename="名册.xlsx"):
    before = _jobs(session)
    resp = upload(office, park_id, content, filename)
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert words in resp.text, resp.text[resp.text.find("upload-error") :][:400]
    assert _jobs(session) == before, "a refused file started a job"
    return resp


def _book(fill) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["统一社会信用代码", "企业名称", "网格", "所有制", "规模"])
    fill(ws)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_text_file_named_xlsx_is_refused(session, office, park_id):
    _refused(session, office, park_id, "代码,名称\n1,2\n".encode(), 415, "不是 Excel 工作簿")


def test_an_old_xls_file_is_refused_with_what_to_do(session, office, park_id):
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    _refused(session, office, park_id, ole2, 415, "另存为", filename="名册.xls")


def test_a_zip_that_is_not_a_workbook_is_refused(session, office, park_id):
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "不是工作簿")
    _refused(session, office, park_id, buf.getvalue(), 415, "不是 Excel 工作簿")


def test_a_zip_bomb_is_refused_unopened(session, office, park_id, park_xlsx):
    # A real workbook with one extra member that unpacks to 300 MB of zeros (~300 KB packed).
    src = zipfile.ZipFile(BytesIO(park_xlsx))
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in src.infolist():
            zf.writestr(item, src.read(item))
        with zf.open("xl/media/padding.bin", "w") as out:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):
                out.write(chunk)
    assert len(buf.getvalue()) < 2 * 1024 * 1024
    _refused(session, office, park_id, buf.getvalue(), 413, "压缩炸弹")


def test_a_file_over_the_size_limit_is_refused(app, session, office, park_id):
    app.state.settings = app.state.settings.model_copy(update={"import_max_mb": 1})
    big = b"PK\x03\x04" + os.urandom(1024 * 1024 + 10)
    _refused(session, office, park_id, big, 413, "最多可导入 1 MB")


def test_a_workbook_with_a_formula_is_refused_naming_the_cell(session, office, park_id):
    def formula(ws):
        ws.append(["91320213MA00000017", "公式测试有限公司", "一网格", "民企", "=A1&B1"])

    _refused(session, office, park_id, _book(formula), 422, "“企业”表的单元格 E2 含有公式")


def test_a_sheet_with_a_thousand_columns_is_refused(session, office, park_id):
    def wide(ws):
        ws.cell(2, 1000, "x")

    resp = _refused(session, office, park_id, _book(wide), 422, "“企业”表有 1000 列")
    assert f"最多 {MAX_COLUMNS} 列" in resp.text


def test_a_workbook_without_roster_sheets_is_refused(session, office, park_id):
    wb = Workbook()
    wb.active.title = "Sheet1"
    buf = BytesIO()
    wb.save(buf)
    _refused(session, office, park_id, buf.getvalue(), 422, "请使用导入模板")


def test_a_sheet_missing_a_required_column_is_refused(session, office, park_id):
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["企业名称", "网格"])
    buf = BytesIO()
    wb.save(buf)
    _refused(session, office, park_id, buf.getvalue(), 422, "缺少“统一社会信用代码”")


@pytest.fixture
def park_xlsx(office, park_id) -> bytes:
    return download(office, f"/parks/{park_id}/roster.xlsx")
