"""Every download is in the audit trail (what, with which filters, how many rows) and carries
who took it and when; a download whose record cannot be written is not sent."""

import csv
import io
import re
from io import BytesIO
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from app.assessment.models import Evidence, IndicatorValue
from app.audit.models import AuditAction, AuditLog
from app.core import files
from app.core.errors import Busy
from app.geo.models import Area, Grid, Park
from app.gridwork.models import Notice, NoticeAttachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def places(session) -> dict:
    huaxia = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    return {
        "huaxia": huaxia,
        "liangxi": session.exec(select(Area).where(Area.name == "梁溪区")).one(),
        "grid": session.exec(
            select(Grid).where(Grid.park_id == huaxia.id).order_by(col(Grid.sort_order))
        ).first(),
    }


def _downloads(session) -> list[AuditLog]:
    session.expire_all()
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.action == AuditAction.download)
            .order_by(col(AuditLog.id))
        )
    )


def _sheet_rows(content: bytes, sheet: str, header_row: int = 1) -> int:
    ws = load_workbook(BytesIO(content))[sheet]
    return sum(1 for r in ws.iter_rows(min_row=header_row + 1, values_only=True) if any(r))


def _csv_rows(content: bytes) -> int:
    return len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) - 1


def _one_more(session, before: int) -> AuditLog:
    rows = _downloads(session)
    assert len(rows) == before + 1
    return rows[-1]


def test_each_download_writes_one_row_with_its_filters_and_row_count(login, session, places):
    huaxia, liangxi, grid = places["huaxia"], places["liangxi"], places["grid"]
    city, park = login("city_admin"), login("park_huaxia")
    cases = [
        # (browser, url, object type, object id, filters, rows counted in the file)
        (city, f"/rankings.xlsx?district={liangxi.id}", "Rankings", None,
         {"district": str(liangxi.id)}, lambda c: _sheet_rows(c, "园区排名", 2)),
        (city, "/rankings.csv?kind=market", "Rankings", None, {"kind": "market"}, _csv_rows),
        (city, f"/districts/{liangxi.id}/scorecard.xlsx?period=2026Q2", "DistrictScorecard",
         liangxi.id, {"period": "2026Q2"}, lambda c: _sheet_rows(c, "各指标完成值")),
        (city, f"/districts/{liangxi.id}/scorecard.csv", "DistrictScorecard", liangxi.id, {},
         _csv_rows),
        (city, f"/districts/{liangxi.id}/parks.xlsx", "DistrictParks", liangxi.id, {},
         lambda c: _sheet_rows(c, "园区") + _sheet_rows(c, "网格")),
        (city, f"/districts/{liangxi.id}/grids.csv", "DistrictGrids", liangxi.id, {}, _csv_rows),
        (park, f"/parks/{huaxia.id}/roster.xlsx", "ParkRoster", huaxia.id, {},
         lambda c: sum(_sheet_rows(c, s) for s in ("网格", "联络员", "企业"))),
        (park, f"/grids/{grid.id}/roster.xlsx", "GridRoster", grid.id, {},
         lambda c: sum(_sheet_rows(c, s) for s in ("网格", "联络员", "企业"))),
        (park, f"/grids/{grid.id}/roster.csv", "GridRoster", grid.id, {}, _csv_rows),
        (park, f"/parks/{huaxia.id}/import-template.xlsx", "ImportTemplate", huaxia.id, {},
         lambda c: 0),
        (city, "/admin/audit.xlsx?object_type=User", "AuditLog", None,
         {"object_type": "User"}, lambda c: _sheet_rows(c, "操作日志")),
        (city, "/admin/audit.csv?object_type=User", "AuditLog", None,
         {"object_type": "User"}, _csv_rows),
    ]  # fmt: skip
    for client, url, object_type, object_id, filters, count in cases:
        before = len(_downloads(session))
        resp = client.get(url)
        assert resp.status_code == 200, url
        row = _one_more(session, before)
        assert (row.object_type, row.object_id, row.after["filters"]) == (
            object_type,
            object_id,
            filters,
        ), url
        assert row.after["rows"] == count(resp.content), url
        assert row.username == ("city_admin" if client is city else "park_huaxia")
    # Real figures: 梁溪区 has two parks, the park roster 10 grids, its people and 160 firms.
    rows = {
        (r.object_type, tuple(r.after["filters"])): r.after["rows"] for r in _downloads(session)
    }
    assert rows[("Rankings", ("district",))] == 2
    assert rows[("ParkRoster", ())] > 170


def test_evidence_and_attachments_are_recorded_too(app, login, session, places, tmp_path):
    app.state.settings.evidence_dir = tmp_path
    storage = files.storage_for(app.state.settings)
    stored = storage.put(PDF, files.kind_of("x.pdf", PDF))
    value = session.exec(
        select(IndicatorValue).where(IndicatorValue.park_id == places["huaxia"].id)
    ).first()
    ev = Evidence(
        value_id=value.id,
        filename="签到表.pdf",
        stored_name=stored.stored_name,
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    notice = session.exec(select(Notice)).first()
    att = NoticeAttachment(
        notice_id=notice.id,
        filename="培训安排.pdf",
        stored_name=stored.stored_name,
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    session.add_all([ev, att])
    session.flush()
    city = login("city_admin")
    before = len(_downloads(session))
    got = city.get(f"/evidence/{ev.id}")
    assert got.status_code == 200 and got.content == PDF
    row = _one_more(session, before)
    assert (row.object_type, row.object_id, row.object_label) == ("Evidence", ev.id, "签到表.pdf")
    got = city.get(f"/notices/attachments/{att.id}")
    assert got.status_code == 200 and got.content == PDF
    row = _one_more(session, before + 1)
    assert (row.object_type, row.object_id) == ("NoticeAttachment", att.id)


def test_the_audit_page_lists_a_download_in_chinese(login, session, places):
    city = login("city_admin")
    city.get(f"/districts/{places['liangxi'].id}/grids.csv")
    page = city.get("/admin/audit?object_type=DistrictGrids")
    assert page.status_code == 200 and "下载" in page.text and "DistrictGrids" in page.text


def test_a_download_whose_record_cannot_be_written_is_not_sent(app, login, session, places):
    city = login("city_admin")
    before = len(_downloads(session))

    def busy(_write):
        raise Busy

    app.state.sessions = busy  # the audit row's own write transaction gets no lock in time
    resp = city.get(f"/districts/{places['liangxi'].id}/parks.xlsx")
    assert resp.status_code == 503 and resp.headers["retry-after"] == "2"
    assert "系统繁忙" in resp.text and not resp.content.startswith(b"PK")
    assert len(_downloads(session)) == before


def test_every_workbook_and_csv_says_who_took_it_and_when(login, places):
    city = login("city_admin")
    resp = city.get(f"/districts/{places['liangxi'].id}/parks.xlsx")
    wb = load_workbook(BytesIO(resp.content))
    assert wb.properties.creator == "市产改办管理员"
    mark = wb.properties.description
    assert re.fullmatch(r"由 市产改办管理员 于 \d{4}-\d\d-\d\d \d\d:\d\d 导出", mark)
    assert [ws.oddFooter.center.text for ws in wb.worksheets] == [mark, mark]
    # The kept rankings workbook gets each reader's own mark.
    leader = login("leader").get("/rankings.xlsx")
    assert load_workbook(BytesIO(leader.content)).properties.creator == "市领导"
    assert load_workbook(BytesIO(city.get("/rankings.xlsx").content)).properties.creator == (
        "市产改办管理员"
    )
    resp = city.get(f"/districts/{places['liangxi'].id}/grids.csv")
    name = unquote(resp.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert re.fullmatch(r"梁溪区网格-\d{4}-\d\d-\d\d-市产改办管理员-\d{8}-\d{4}\.csv", name)
    # The first line is still the header: the file opens as a table in Excel and WPS.
    assert resp.content.decode("utf-8-sig").startswith("园区,网格,")


def test_a_pdf_report_is_recorded(app, login, session, places, tmp_path):
    # A stand-in Chromium that prints a fixed PDF: what is tested is the record of it.
    fake = tmp_path / "chromium"
    fake.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in\n'
        '  --print-to-pdf=*) printf "%%PDF-1.4 fake" > "${a#--print-to-pdf=}";;\n'
        "esac; done\n"
    )
    fake.chmod(0o755)
    app.state.settings = app.state.settings.model_copy(update={"chromium_path": str(fake)})
    client = login("district_liangxi")
    before = len(_downloads(session))
    resp = client.get(f"/parks/{places['huaxia'].id}/report.pdf?period=2025Q4")
    assert resp.status_code == 200 and resp.content == b"%PDF-1.4 fake"
    row = _one_more(session, before)
    assert (row.object_type, row.object_id, row.object_label) == (
        "ParkReport",
        places["huaxia"].id,
        "无锡华夏家居港 2025Q4",
    )
    assert row.after["filters"] == {"period": "2025Q4"} and row.username == "district_liangxi"
