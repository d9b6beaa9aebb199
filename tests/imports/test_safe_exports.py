"""Exports that cannot run code: text that looks like a formula is written as text in every
.xlsx and CSV, and the roster so exported imports back with no change. The annotated
error workbook works when the bad cell lies in merged cells."""

import csv
import io
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from app.audit.models import AuditAction, AuditLog
from app.enterprises.models import Enterprise
from app.geo.models import Area, Grid, Park
from app.imports.models import ImportStatus
from tests.imports.books import XLSX, download, fill, job, job_of, upload

HOSTILE = ["=1+1", "+1", "-1", "@x", '=HYPERLINK("http://evil.example/","点我")']
# Tab and carriage return lead OWASP's list too; an import strips them (see the round trip).
CONTROL = ["\tx", "\rx"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def huaxia(session) -> Park:
    return session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()


def _first_grid(session, park: Park) -> Grid:
    return session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order), col(Grid.id))
    ).first()


def _hostile_firms(session, grid: Grid, names: list[str]) -> list[Enterprise]:
    """Renames the grid's first enterprises to the names given (as a user could type them)."""
    firms = session.exec(
        select(Enterprise).where(Enterprise.grid_id == grid.id).order_by(col(Enterprise.id))
    ).all()[: len(names)]
    assert len(firms) == len(names)
    for firm, name in zip(firms, names, strict=True):
        firm.name = name
        session.add(firm)
    session.flush()
    return firms


def _formula_cells(content: bytes) -> list[str]:
    wb = load_workbook(BytesIO(content))
    return [
        f"{ws.title}!{cell.coordinate}={cell.value!r}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def _strings(content: bytes) -> set[str]:
    wb = load_workbook(BytesIO(content))
    return {
        cell.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }


def _csv_cells(content: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for c in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_no_export_holds_a_formula_or_a_csv_cell_that_starts_like_one(login, session, huaxia):
    grid = _first_grid(session, huaxia)
    firms = _hostile_firms(session, grid, HOSTILE)
    for firm, industry in zip(firms, CONTROL, strict=False):
        firm.industry = industry
        session.add(firm)
    grid.name = "@网格"
    session.add(grid)
    other = session.exec(select(Park).where(Park.name == "无锡盛阳食品城")).one()
    other.name = "=SUM(1,2)"
    session.add(other)
    session.add(
        AuditLog(
            username="city_admin",
            role="city_admin",
            action=AuditAction.update,
            object_type="Enterprise",
            object_label="-2+3",
            after={"name": "=1+1"},
        )
    )
    session.flush()
    district = session.exec(select(Area).where(Area.name == "梁溪区")).one()
    city, park = login("city_admin"), login("park_huaxia")
    xlsx = [
        (park, f"/parks/{huaxia.id}/roster.xlsx"),
        (park, f"/grids/{grid.id}/roster.xlsx"),
        (city, f"/parks/{huaxia.id}/roster.xlsx"),
        (park, f"/parks/{huaxia.id}/import-template.xlsx"),
        (city, f"/districts/{district.id}/scorecard.xlsx"),
        (city, f"/districts/{district.id}/parks.xlsx"),
        (city, "/rankings.xlsx"),
        (city, "/rankings.xlsx?q=%3D"),  # a filter typed as "=" goes into the title row
        (city, "/admin/audit.xlsx"),
    ]
    for client, url in xlsx:
        content = download(client, url)
        assert _formula_cells(content) == [], url
    # The hostile text is there, as text.
    roster = _strings(download(park, f"/parks/{huaxia.id}/roster.xlsx"))
    # (An XML reader turns a carriage return into a line feed.)
    assert set([*HOSTILE, "\tx", "\nx"]) <= roster and "@网格" in roster
    assert "=SUM(1,2)" in _strings(download(city, f"/districts/{district.id}/parks.xlsx"))
    assert "-2+3" in _strings(download(city, "/admin/audit.xlsx"))

    csvs = [
        (park, f"/grids/{grid.id}/roster.csv"),
        (city, f"/districts/{district.id}/scorecard.csv"),
        (city, f"/districts/{district.id}/grids.csv"),
        (city, "/rankings.csv"),
        (city, "/admin/audit.csv"),
    ]
    for client, url in csvs:
        resp = client.get(url)
        assert resp.status_code == 200, url
        cells = _csv_cells(resp.content)
        bad = [c for c in cells if c.startswith(FORMULA_STARTS) and not _is_number(c)]
        assert bad == [], url
    grid_csv = _csv_cells(park.get(f"/grids/{grid.id}/roster.csv").content)
    # OWASP's leading apostrophe, and the text after it as typed.
    assert {"'" + n for n in HOSTILE + CONTROL} <= set(grid_csv)
    assert "'=SUM(1,2)" in _csv_cells(city.get(f"/districts/{district.id}/grids.csv").content)
    assert "'-2+3" in _csv_cells(city.get("/admin/audit.csv").content)
    # Numbers stay numbers: the worker counts are plain digits.
    firm = session.exec(select(Enterprise).where(Enterprise.name == "+1")).one()
    assert str(firm.worker_count) in grid_csv


def test_a_roster_with_formula_like_names_imports_back_with_no_change(login, session, huaxia):
    grid = _first_grid(session, huaxia)
    firms = _hostile_firms(session, grid, HOSTILE)
    client = login("park_huaxia")
    content = download(client, f"/parks/{huaxia.id}/roster.xlsx")
    # Before, this very file was refused on upload: its names had become formulas.
    job_id = job_of(upload(client, huaxia.id, content))
    j = job(session, job_id)
    assert j.status is ImportStatus.checked and j.errors == 0
    assert j.counts["enterprises"] == {"new": 0, "updated": 0, "unchanged": 160, "error": 0}
    assert j.counts["grids"]["updated"] == 0 and j.counts["liaisons"]["updated"] == 0
    page = client.get(f"/imports/{job_id}")
    assert page.status_code == 200 and "=HYPERLINK" not in page.text.split("变更")[-1]
    session.expire_all()
    assert [session.get(Enterprise, f.id).name for f in firms] == HOSTILE


def test_an_office_s_masked_roster_imports_back_with_no_change(login, session, huaxia):
    client = login("district_liangxi")
    content = download(client, f"/parks/{huaxia.id}/roster.xlsx")
    wb = load_workbook(BytesIO(content))
    mobiles = [r[1] for r in wb["联络员"].iter_rows(min_row=2, values_only=True)]
    assert mobiles and all(m[3:7] == "****" for m in mobiles)
    job_id = job_of(upload(client, huaxia.id, content))
    j = job(session, job_id)
    assert j.status is ImportStatus.checked and j.errors == 0
    assert j.counts["liaisons"]["updated"] == 0 and j.counts["liaisons"]["new"] == 0
    assert j.counts["enterprises"]["updated"] == 0 and j.counts["grids"]["updated"] == 0


def test_the_error_workbook_marks_a_bad_cell_inside_merged_cells(login, session, huaxia):
    client = login("park_huaxia")
    template = download(client, f"/parks/{huaxia.id}/import-template.xlsx")
    grid = _first_grid(session, huaxia)
    row = ["91320213MA1234567X", "=1+1", grid.name, "民企", "小型"]
    book = fill(template, {"企业": [row, ["91320213MA7654321X", "合并第二行", grid.name]]})
    wb = load_workbook(BytesIO(book))
    # Ownership and size of both rows merged, as people do to save typing: D3 and E3 are
    # merged cells, read as blank, so both are "required" errors of row 3.
    wb["企业"]["B2"].data_type = "s"  # typed as text, as Excel keeps '=1+1
    wb["企业"].merge_cells("D2:D3")
    wb["企业"].merge_cells("E2:E3")
    buf = BytesIO()
    wb.save(buf)
    job_id = job_of(upload(client, huaxia.id, buf.getvalue()))
    j = job(session, job_id)
    assert j.status is ImportStatus.invalid

    resp = client.get(f"/imports/{job_id}/errors.xlsx")
    assert resp.status_code == 200 and resp.headers["content-type"] == XLSX
    marked = load_workbook(BytesIO(resp.content))["企业"]
    assert marked["D2"].fill.start_color.rgb.endswith("FFC7CE")
    assert "D3：" in marked["D2"].comment.text and "所有制" in marked["D2"].comment.text
    assert "E3：" in marked["E2"].comment.text
    assert "D2:D3" in {str(r) for r in marked.merged_cells.ranges}  # the merge is kept
    # The name typed as "=1+1" comes back as the text it was, not as a formula.
    assert marked["B2"].value == "=1+1" and _formula_cells(resp.content) == []
    # The download is on record, with the number of cells it marks.
    commented = [c.coordinate for r in marked.iter_rows(min_row=2) for c in r if c.comment]
    assert {"D2", "E2"} <= set(commented)
    session.expire_all()
    row = session.exec(
        select(AuditLog).where(
            AuditLog.action == AuditAction.download, AuditLog.object_type == "ImportJob"
        )
    ).one()
    assert (row.object_id, row.username, row.after["rows"]) == (
        job_id,
        "park_huaxia",
        len(commented),
    )


def test_names_pasted_back_from_the_csv_lose_only_the_apostrophe_it_added(login, session, huaxia):
    grid = _first_grid(session, huaxia)
    _hostile_firms(session, grid, HOSTILE)
    client = login("park_huaxia")
    csv_names = {c for c in _csv_cells(client.get(f"/grids/{grid.id}/roster.csv").content)}
    assert {"'" + n for n in HOSTILE} <= csv_names
    # The roster workbook with its names replaced by the CSV's cells, as pasted from it.
    wb = load_workbook(BytesIO(download(client, f"/parks/{huaxia.id}/roster.xlsx")))
    pasted = 0
    for cell in wb["企业"]["B"]:
        if cell.value in HOSTILE:
            cell.value = "'" + cell.value
            cell.data_type = "s"
            pasted += 1
    assert pasted == len(HOSTILE)
    buf = BytesIO()
    wb.save(buf)
    j = job(session, job_of(upload(client, huaxia.id, buf.getvalue())))
    assert j.status is ImportStatus.checked and j.errors == 0
    assert j.counts["enterprises"] == {"new": 0, "updated": 0, "unchanged": 160, "error": 0}
