"""Round trip: a park's roster exported and imported back changes nothing; three edited
cells make exactly three audited changes."""

from sqlmodel import col, func, select

from app.audit import service as audit
from app.audit.models import AuditAction, AuditLog
from app.enterprises.models import Enterprise, Liaison
from app.geo.models import Grid, Park
from app.imports.models import ImportStatus
from tests.helpers import table_rows
from tests.imports.books import download, edit, job, job_of, upload


def _park(session, name="无锡华夏家居港") -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _roster_size(session, park_id: int) -> int:
    return session.exec(
        select(func.count(col(Enterprise.id)))
        .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
        .where(Grid.park_id == park_id)
    ).one()


def _batch(session, audit_id: int) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.batch_id == audit_id).order_by(col(AuditLog.id))
        )
    )


def test_the_exported_roster_imports_back_with_no_change(login, session):
    park = _park(session)
    client = login("park_huaxia")
    content = download(client, f"/parks/{park.id}/roster.xlsx")
    job_id = job_of(upload(client, park.id, content))

    j = job(session, job_id)
    assert j.status is ImportStatus.checked and j.errors == 0
    size = _roster_size(session, park.id)
    assert size == 160
    assert j.counts["enterprises"] == {"new": 0, "updated": 0, "unchanged": 160, "error": 0}
    assert j.counts["grids"]["unchanged"] == 10 and j.counts["grids"]["updated"] == 0
    assert j.counts["liaisons"]["updated"] == 0 and j.counts["liaisons"]["new"] == 0

    page = client.get(f"/imports/{job_id}")
    assert page.status_code == 200 and "确认导入" in page.text

    assert client.post(f"/imports/{job_id}/confirm", follow_redirects=False).status_code == 303
    j = job(session, job_id)
    assert j.status is ImportStatus.applied
    # Only the import itself is on record: no object changed.
    assert [r.action for r in _batch(session, j.audit_id)] == [AuditAction.imported]
    assert _roster_size(session, park.id) == 160


def test_three_edited_cells_make_exactly_three_audited_changes(login, session):
    park = _park(session)
    client = login("park_huaxia")
    content = download(client, f"/parks/{park.id}/roster.xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(content))
    firm_code = wb["企业"]["A2"].value
    other_code = wb["企业"]["A3"].value
    old_workers = wb["企业"]["G2"].value
    mobile = wb["联络员"]["B2"].value
    old_name = wb["联络员"]["A2"].value
    edited = edit(
        content,
        {
            ("企业", "G2"): old_workers + 7,
            ("企业", "F3"): "导入测试行业",
            ("联络员", "A2"): old_name + "新",
        },
    )
    job_id = job_of(upload(client, park.id, edited))
    j = job(session, job_id)
    assert j.status is ImportStatus.checked
    assert j.counts["enterprises"] == {"new": 0, "updated": 2, "unchanged": 158, "error": 0}
    assert j.counts["liaisons"]["updated"] == 1

    page = client.get(f"/imports/{job_id}")
    assert f"{firm_code}：{old_workers} → {old_workers + 7}" in page.text
    assert "导入测试行业" in page.text

    client.post(f"/imports/{job_id}/confirm")
    j = job(session, job_id)
    assert j.status is ImportStatus.applied, j.message
    rows = _batch(session, j.audit_id)
    assert [r.action for r in rows] == [AuditAction.imported] + [AuditAction.update] * 3
    assert rows[0].object_type == "ImportJob" and rows[0].username == "park_huaxia"
    changed = sorted(
        (r.object_type, c.field, c.before, c.after) for r in rows[1:] for c in audit.changes(r)
    )
    firm = session.exec(select(Enterprise).where(Enterprise.credit_code == firm_code)).one()
    other = session.exec(select(Enterprise).where(Enterprise.credit_code == other_code)).one()
    person = session.exec(
        select(Liaison).where(Liaison.park_id == park.id, Liaison.mobile == mobile)
    ).one()
    assert firm.worker_count == old_workers + 7
    assert other.industry == "导入测试行业"
    assert person.name == old_name + "新"
    assert len(changed) == 3
    assert ("Enterprise", "worker_count", old_workers, old_workers + 7) in changed
    assert ("Liaison", "name", old_name, old_name + "新") in changed
    assert [c[1] for c in changed if c[1] == "industry"] == ["industry"]

    # The city office reads the import with its rows on one page of the audit trail.
    trail = login("city_admin").get(f"/admin/audit?batch={j.audit_id}")
    assert trail.status_code == 200
    assert "一次导入（编号" in trail.text
    assert len(table_rows(trail.text, "audit")) == 4


def test_a_grid_roster_exports_only_that_grid_and_imports_back_unchanged(login, session):
    park = _park(session)
    grid = session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()
    client = login("liaison_huaxia_1")
    content = download(client, f"/grids/{grid.id}/roster.xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(content))
    in_grid = session.exec(
        select(func.count(col(Enterprise.id))).where(Enterprise.grid_id == grid.id)
    ).one()
    assert wb["企业"].max_row - 1 == in_grid
    assert {r[2] for r in wb["企业"].iter_rows(min_row=2, values_only=True)} == {grid.name}
    assert wb["企业"].freeze_panes == "A2"

    office = login("park_huaxia")
    j = job(session, job_of(upload(office, park.id, content)))
    assert j.status is ImportStatus.checked
    assert j.counts["enterprises"]["unchanged"] == in_grid
    assert j.counts["enterprises"]["updated"] == 0


def test_the_grid_roster_as_csv_has_chinese_headers_and_the_grid_rows(login, session):
    park = _park(session)
    grid = session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()
    resp = login("leader").get(f"/grids/{grid.id}/roster.csv")
    assert resp.status_code == 200
    assert resp.content.startswith("\ufeff".encode())
    lines = resp.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("统一社会信用代码,企业名称,网格,所有制,规模")
    in_grid = session.exec(
        select(func.count(col(Enterprise.id))).where(Enterprise.grid_id == grid.id)
    ).one()
    assert len(lines) - 1 == in_grid
