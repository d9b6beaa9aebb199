"""Workbooks as clerks fill them: a grid merged down its enterprises, hidden rows, mobile
numbers typed on a Chinese keyboard. Each is built here with openpyxl, saved to bytes and
posted to the import route as a clerk would; the preview names the rows and the columns."""

import re
import zipfile
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from app.enterprises.models import Enterprise, Liaison
from app.geo.models import Grid, Park
from app.imports.models import ImportLine, ImportStatus, LineKind
from tests.helpers import table_rows
from tests.imports.books import code, download, job, job_of, upload

ENTERPRISES, LIAISONS = "企业", "联络员"


@pytest.fixture
def park(session) -> Park:
    return session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()


@pytest.fixture
def client(login):
    return login("park_huaxia")


def _grids(session, park_id: int) -> list[str]:
    return list(
        session.exec(
            select(Grid.name)
            .where(Grid.park_id == park_id)
            .order_by(col(Grid.sort_order), col(Grid.id))
        )
    )


def _firm(n: int, grid: str | None, liaison: str = "", ownership: str | None = "民企") -> list:
    """An enterprise row in the template's column order."""
    return [
        code(n, "91320213MC"),
        f"清单测试企业{n}有限公司",
        grid,
        ownership,
        "小型",
        "家居",
        12,
        "是",
        "否",
        "否",
        None,
        liaison,
        "否",
    ]


def _book(client, park: Park, firms: list[list], people: list[list] = (), shape=None) -> bytes:
    """The park's template with rows on its sheets, `shape(wb)` applied (merges, hidden
    rows), saved as a clerk's workbook."""
    wb = load_workbook(BytesIO(download(client, f"/parks/{park.id}/import-template.xlsx")))
    for row in firms:
        wb[ENTERPRISES].append(row)
    for row in people:
        wb[LIAISONS].append(row)
    if shape:
        shape(wb)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _lines(session, job_id: int, kind: LineKind) -> list[ImportLine]:
    return list(
        session.exec(
            select(ImportLine)
            .where(ImportLine.job_id == job_id, ImportLine.kind == kind)
            .order_by(col(ImportLine.id))
        )
    )


def _firms(session, park_id: int, names: list[str]) -> dict[str, str]:
    """The grid each named enterprise of the park is in."""
    rows = session.exec(
        select(Enterprise.name, Grid.name)
        .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
        .where(Grid.park_id == park_id, col(Enterprise.name).in_(names))
    )
    return dict(rows.all())


def test_a_grid_merged_down_its_enterprises_gives_each_row_that_grid(client, session, park):
    grids = _grids(session, park.id)
    first, second = grids[0], grids[1]
    # Rows 2–5 in the first grid (merged C2:C5), rows 6–8 in the second (merged C6:C8).
    firms = [_firm(n, first if n == 1 else None) for n in range(1, 5)]
    firms += [_firm(n, second if n == 5 else None) for n in range(5, 8)]

    def merge(wb):
        wb[ENTERPRISES].merge_cells("C2:C5")
        wb[ENTERPRISES].merge_cells("C6:C8")

    job_id = job_of(upload(client, park.id, _book(client, park, firms, shape=merge)))
    j = job(session, job_id)
    assert j.status is ImportStatus.checked and j.errors == 0, _lines(session, job_id, "error")
    assert j.counts["enterprises"]["new"] == 7

    page = client.get(f"/imports/{job_id}")
    assert page.status_code == 200 and "确认导入" in page.text
    warning = table_rows(page.text, "import-warnings")
    assert warning == [
        [
            "企业",
            "3",
            "C 网格",
            "5 行的“网格”取自合并单元格（C2:C5、C6:C8）：第 3–5、7–8 行。"
            "这些行均按合并单元格的值导入。",
        ]
    ]

    assert client.post(f"/imports/{job_id}/confirm", follow_redirects=False).status_code == 303
    assert job(session, job_id).status is ImportStatus.applied
    names = [f[1] for f in firms]
    assert _firms(session, park.id, names) == {
        **{n: first for n in names[:4]},
        **{n: second for n in names[4:]},
    }


def test_a_merge_that_leaves_a_required_cell_empty_names_the_row_column_and_merge(
    client, session, park
):
    grid = _grids(session, park.id)[0]
    # Rows 10–14: the ownership typed once and merged down (D10:D14); the grid typed on
    # each row. Rows 2–9 are ordinary.
    firms = [_firm(n, grid) for n in range(1, 9)]
    firms += [_firm(n, grid, ownership="国企" if n == 9 else None) for n in range(9, 14)]

    # Row 15 ordinary; the grid of rows 16–18 merged down from an empty cell (C16:C18);
    # the industry, an optional column, merged over rows 2–4 (F2:F4).
    firms += [_firm(14, grid)] + [_firm(n, None) for n in range(15, 18)]

    def merge(wb):
        wb[ENTERPRISES].merge_cells("D10:D14")
        wb[ENTERPRISES].merge_cells("C16:C18")
        wb[ENTERPRISES].merge_cells("F2:F4")

    job_id = job_of(upload(client, park.id, _book(client, park, firms, shape=merge)))
    j = job(session, job_id)
    assert j.status is ImportStatus.invalid and j.errors == 7
    errors = _lines(session, job_id, LineKind.error)
    assert [(e.row, e.column, e.field) for e in errors] == [
        *((r, "D", "所有制") for r in (11, 12, 13, 14)),
        (16, "C", "网格"),
        (17, "C", "网格"),
        (18, "C", "网格"),
    ]
    assert errors[4].message == "“网格”必填。"  # the empty first cell itself
    assert errors[5].message == (
        "第 17 行“网格”列：该格位于合并单元格 C16:C18 之内，值只在首格 C16，本行为空。"
        "请取消合并，逐行填写。"
    )
    warnings = _lines(session, job_id, LineKind.warning)
    assert [(w.row, w.column, w.message) for w in warnings] == [
        (
            3,
            "F",
            "第 3–4 行“行业”列：位于合并单元格 F2:F4 之内，值只在首格 F2；这些行的该列按空白导入。",
        )
    ]
    assert errors[1].message == (
        "第 12 行“所有制”列：该格位于合并单元格 D10:D14 之内，值只在首格 D10，本行为空。"
        "请取消合并，逐行填写。"
    )
    page = client.get(f"/imports/{job_id}")
    assert page.status_code == 200  # a preview with errors is a page, not a failure
    rows = table_rows(page.text, "import-errors")
    assert rows[1][:3] == ["企业", "12", "D 所有制"]
    assert "合并单元格 D10:D14" in rows[1][3]


def test_hidden_rows_are_imported_with_a_warning_that_lists_them(client, session, park):
    grid = _grids(session, park.id)[0]
    firms = [_firm(n, grid) for n in range(1, 9)]

    def hide(wb):
        for r in (4, 5, 6, 9):
            wb[ENTERPRISES].row_dimensions[r].hidden = True

    job_id = job_of(upload(client, park.id, _book(client, park, firms, shape=hide)))
    j = job(session, job_id)
    assert j.status is ImportStatus.checked and j.counts["enterprises"]["new"] == 8
    page = client.get(f"/imports/{job_id}")
    assert table_rows(page.text, "import-warnings") == [
        [
            "企业",
            "4",
            "",
            "工作簿中有 4 行被隐藏：第 4–6、9 行。这些行与其他行一样检查并导入；"
            "如不应导入，请删除这些行后重新上传。",
        ]
    ]
    assert client.post(f"/imports/{job_id}/confirm", follow_redirects=False).status_code == 303
    assert job(session, job_id).status is ImportStatus.applied
    assert len(_firms(session, park.id, [f[1] for f in firms])) == 8


def test_full_width_mobile_numbers_read_as_their_eleven_digits(client, session, park):
    grid = _grids(session, park.id)[0]
    people = [
        ["全角联络员", "１３９ ０５１０－７７０１", "企业产改联络员"],
        ["全角联络员二", "１３９０５１０７７０２", "企业产改联络员"],
    ]
    # The enterprises name them as typed elsewhere: half-width, with dashes, full-width.
    firms = [_firm(1, grid, "139-0510-7701"), _firm(2, grid, "１３９０５１０７７０２")]
    # One number is one digit short, in full-width: still refused, with its cell.
    firms.append(_firm(3, grid, "１３９０５１０７７０"))
    job_id = job_of(upload(client, park.id, _book(client, park, firms, people)))
    j = job(session, job_id)
    errors = _lines(session, job_id, LineKind.error)
    assert [(e.sheet, e.row, e.column) for e in errors] == [("企业", 4, "L")]
    assert "１３９０５１０７７０" in errors[0].message and "11 位数字" in errors[0].message
    assert j.counts["liaisons"]["new"] == 2 and j.counts["enterprises"]["new"] == 2

    # Without the short number the file imports, the numbers stored as 11 ASCII digits.
    job_id = job_of(upload(client, park.id, _book(client, park, firms[:2], people)))
    assert job(session, job_id).status is ImportStatus.checked
    assert client.post(f"/imports/{job_id}/confirm", follow_redirects=False).status_code == 303
    assert job(session, job_id).status is ImportStatus.applied
    stored = session.exec(
        select(Liaison.name, Liaison.mobile).where(
            Liaison.park_id == park.id, col(Liaison.name).startswith("全角联络员")
        )
    ).all()
    assert sorted(stored) == [("全角联络员", "13905107701"), ("全角联络员二", "13905107702")]
    firm = session.exec(select(Enterprise).where(Enterprise.name == firms[0][1])).one()
    assert session.get(Liaison, firm.liaison_id).mobile == "13905107701"


def test_the_template_lists_sheet_is_headed_in_chinese(client, park):
    wb = load_workbook(BytesIO(download(client, f"/parks/{park.id}/import-template.xlsx")))
    ws = wb["选项"]
    assert ws.sheet_state == "hidden"
    headers = [c.value for c in ws[1]]
    assert headers == ["网格", "是/否", "划分方式", "角色", "所有制", "规模", "产改类型"]
    assert [c.value for c in ws["B"][1:3]] == ["是", "否"]


def _as_libreoffice(content: bytes, sheet_part: str) -> bytes:
    """The workbook with its rows written as LibreOffice Calc writes them: every row says
    hidden="false" or hidden="true", among its other attributes."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == sheet_part:
                text = data.decode()
                text = re.sub(
                    r'<row r="(\d+)"( [^>]*)? hidden="1"', r'<row r="\1"\2 hidden="true"', text
                )
                text = re.sub(
                    r'<row r="(\d+)"(?![^>]*hidden=)',
                    r'<row r="\1" customFormat="false" ht="12.8" hidden="false" outlineLevel="0"',
                    text,
                )
                data = text.encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_hidden_rows_of_a_libreoffice_workbook_are_named_too(client, session, park):
    grid = _grids(session, park.id)[0]
    firms = [_firm(n, grid) for n in range(1, 6)]

    def hide(wb):
        wb[ENTERPRISES].row_dimensions[3].hidden = True

    content = _book(client, park, firms, shape=hide)
    with zipfile.ZipFile(BytesIO(content)) as zf:
        names = zf.namelist()
        # The enterprises sheet is the last of the template's five.
        part = sorted(n for n in names if n.startswith("xl/worksheets/sheet"))[-1]
        assert 'hidden="1"' in zf.read(part).decode()
    content = _as_libreoffice(content, part)
    with zipfile.ZipFile(BytesIO(content)) as zf:
        xml = zf.read(part).decode()
        assert xml.count('hidden="false"') >= 5 and xml.count('hidden="true"') == 1
    job_id = job_of(upload(client, park.id, content))
    assert job(session, job_id).status is ImportStatus.checked
    warnings = _lines(session, job_id, LineKind.warning)
    assert [(w.row, w.message.split("。")[0]) for w in warnings] == [
        (3, "工作簿中有 1 行被隐藏：第 3 行")
    ]


def test_merged_cells_that_overlap_fail_the_check_with_a_message(client, session, park):
    grid = _grids(session, park.id)[0]
    firms = [_firm(n, grid) for n in range(1, 4)]
    content = _book(client, park, firms)
    # Excel never writes overlapping merges; a crafted file repeats one many times over.
    part = "xl/worksheets/sheet5.xml"
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == part:
                merges = '<mergeCells count="20000">' + '<mergeCell ref="A2:M4"/>' * 20_000
                data = data.replace(b"</sheetData>", f"</sheetData>{merges}</mergeCells>".encode())
            dst.writestr(item, data)
    job_id = job_of(upload(client, park.id, out.getvalue()))
    j = job(session, job_id)
    assert j.status is ImportStatus.failed
    assert j.message == "“企业”表的合并单元格相互重叠（A2:M4）。"
