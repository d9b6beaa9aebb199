"""Import jobs: new rows that refer to each other, node enterprises changing hands, the
progress a running job shows, a roster changed between preview and confirmation, the CLI."""

from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.core import config, db
from app.core.permissions import system
from app.core.types import utcnow
from app.enterprises import service as roster_service
from app.enterprises.models import Enterprise, Liaison, LiaisonRole
from app.geo.models import Grid, GridBasis, Park
from app.imports import workers
from app.imports.models import ImportJob, ImportStatus
from app.imports.service import LEASE, export
from tests.imports.books import code, download, edit, fill, job, job_of, upload


def _huaxia(session) -> Park:
    return session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()


def test_new_grids_people_and_enterprises_are_linked_by_name_and_mobile(login, session):
    park = _huaxia(session)
    client = login("park_huaxia")
    book = fill(
        download(client, f"/parks/{park.id}/import-template.xlsx"),
        {
            "联络员": [
                ["新网格员", "13700000001", "网格产改联络员"],
                ["新企业联络员", "13700000002", "企业产改联络员"],
            ],
            "网格": [["家居新网格", "区域", 11, "13700000001"]],
            "企业": [
                [
                    *(code(21), "新节点企业有限公司", "家居新网格", "国企", "大型", "家具", 350),
                    *("是", "是", "是", "党建引领型", "13700000002", "是"),
                ],
                [code(22), "新普通企业有限公司", "家居新网格", "外企", "微型"],
            ],
        },
    )
    job_id = job_of(upload(client, park.id, book))
    j = job(session, job_id)
    assert j.status is ImportStatus.checked, j.message
    assert j.counts["enterprises"]["new"] == 2 and j.counts["grids"]["new"] == 1
    client.post(f"/imports/{job_id}/confirm")
    assert job(session, job_id).status is ImportStatus.applied

    grid = session.exec(select(Grid).where(Grid.name == "家居新网格")).one()
    assert grid.park_id == park.id and grid.basis is GridBasis.area and grid.sort_order == 11
    assert session.get(Liaison, grid.liaison_id).mobile == "13700000001"
    node = session.exec(select(Enterprise).where(Enterprise.credit_code == code(21))).one()
    plain = session.exec(select(Enterprise).where(Enterprise.credit_code == code(22))).one()
    assert node.grid_id == plain.grid_id == grid.id
    assert node.is_node and not plain.is_node
    assert node.worker_count == 350 and node.collective_contract and node.reform_type.value
    liaison = session.get(Liaison, node.liaison_id)
    assert (liaison.name, liaison.role) == ("新企业联络员", LiaisonRole.enterprise_liaison)
    assert (plain.worker_count, plain.industry, plain.union_founded, plain.liaison_id) == (
        0,
        "",
        False,
        None,
    )


def test_the_node_enterprise_passes_to_another_in_one_import(login, session):
    park = _huaxia(session)
    client = login("park_huaxia")
    content = download(client, f"/parks/{park.id}/roster.xlsx")
    ws = load_workbook(BytesIO(content))["企业"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    # The export lists each grid's node enterprise first; hand it to the next row of its grid.
    first = rows[0]
    assert first[12] == "是"
    heir = next(i for i, r in enumerate(rows) if r[2] == first[2] and r[12] == "否")
    edited = edit(content, {("企业", "M2"): "否", ("企业", f"M{heir + 2}"): "是"})
    job_id = job_of(upload(client, park.id, edited))
    assert job(session, job_id).counts["enterprises"]["updated"] == 2
    client.post(f"/imports/{job_id}/confirm")
    assert job(session, job_id).status is ImportStatus.applied
    grid = session.exec(select(Grid).where(Grid.park_id == park.id, Grid.name == first[2])).one()
    nodes = session.exec(
        select(Enterprise.credit_code).where(Enterprise.grid_id == grid.id, col(Enterprise.is_node))
    ).all()
    assert nodes == [rows[heir][0]]


def test_a_running_job_shows_its_progress_and_reloads_when_done(login, session):
    park = _huaxia(session)
    client = login("park_huaxia")
    job_id = job_of(upload(client, park.id, download(client, f"/parks/{park.id}/roster.xlsx")))
    j = job(session, job_id)
    j.status, j.rows_done, j.rows_total = ImportStatus.checking, 500, 2000
    # Held by this (live) process under a running lease.
    j.worker, j.lease_until = str(workers.current()), utcnow() + LEASE
    session.add(j)
    session.flush()
    part = client.get(f"/imports/{job_id}/progress", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert 'hx-trigger="every 1s"' in part.text
    assert 'value="25"' in part.text and "已读取 500 行，共约 2,000 行" in part.text

    j.status = ImportStatus.checked
    session.add(j)
    session.flush()
    done = client.get(f"/imports/{job_id}/progress", headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true"


def test_a_job_whose_lease_ran_out_shows_as_failed_and_can_be_confirmed_again(login, session):
    park = _huaxia(session)
    client = login("park_huaxia")
    content = download(client, f"/parks/{park.id}/roster.xlsx")
    job_id = job_of(upload(client, park.id, edit(content, {("企业", "G2"): 4321})))
    j = job(session, job_id)
    assert j.status is ImportStatus.checked
    # Confirmed by a worker that then stopped renewing its lease (its host went away).
    j.status, j.worker = ImportStatus.applying, "another-host:4242:abc"
    j.lease_until = utcnow() - timedelta(seconds=1)
    session.add(j)
    session.flush()
    page = client.get(f"/imports/{job_id}")
    assert page.status_code == 422
    assert "失败，未导入" in page.text and "未写入任何数据" in page.text
    assert job(session, job_id).status is ImportStatus.applying  # reading wrote nothing
    listing = client.get("/imports")
    assert "失败，未导入" in listing.text

    assert client.post(f"/imports/{job_id}/confirm", follow_redirects=False).status_code == 303
    j = job(session, job_id)
    assert j.status is ImportStatus.applied, j.message
    assert session.exec(select(Enterprise).where(Enterprise.worker_count == 4321)).one()


def test_a_job_a_live_worker_holds_cannot_be_confirmed_twice(login, session):
    park = _huaxia(session)
    client = login("park_huaxia")
    job_id = job_of(upload(client, park.id, download(client, f"/parks/{park.id}/roster.xlsx")))
    j = job(session, job_id)
    j.status, j.worker = ImportStatus.applying, str(workers.current())
    j.lease_until = utcnow() + LEASE
    session.add(j)
    session.flush()
    again = client.post(f"/imports/{job_id}/confirm", follow_redirects=False)
    assert again.status_code == 409 and "正在导入" in again.text
    assert client.get(f"/imports/{job_id}").status_code == 200


def test_a_roster_changed_after_the_preview_is_not_overwritten(login, session):
    park = _huaxia(session)
    client = login("park_huaxia")
    content = download(client, f"/parks/{park.id}/roster.xlsx")
    first = load_workbook(BytesIO(content))["企业"]["A2"].value
    job_id = job_of(upload(client, park.id, edit(content, {("企业", "G2"): 4321})))
    assert job(session, job_id).status is ImportStatus.checked
    # Meanwhile someone changes the same enterprise's workers in the web form.
    firm = session.exec(select(Enterprise).where(Enterprise.credit_code == first)).one()
    data = {k: getattr(firm, k) for k in roster_service.ENTERPRISE_FIELDS}
    data |= {"worker_count": "77", "ownership": firm.ownership.value, "size": firm.size.value}
    data |= {k: "1" if data[k] else "" for k in ("union_founded", "collective_contract")}
    data |= {"in_reform": "1" if firm.in_reform else "", "liaison_id": firm.liaison_id or ""}
    data["reform_type"] = firm.reform_type.value if firm.reform_type else ""
    roster_service.update(session=session, who=system(), enterprise_id=firm.id, data=data)
    session.flush()

    client.post(f"/imports/{job_id}/confirm")
    j = job(session, job_id)
    assert j.status is ImportStatus.checked
    assert "预览之后园区名册有变化" in j.message
    session.refresh(firm)
    assert firm.worker_count == 77


def test_the_command_line_import_checks_previews_and_applies(tmp_path, monkeypatch):
    from app.cli import cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PARKGRID_DATABASE_URL", url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        assert runner.invoke(cli, ["demo"]).exit_code == 0
        with Session(db.get_engine()) as s:
            park = _huaxia(s)
            content = export(s, system(), park)
        good = tmp_path / "roster.xlsx"
        good.write_bytes(edit(content, {("企业", "G2"): 4321}))
        ok = runner.invoke(cli, ["import", str(good), "--park", str(park.id), "--yes"])
        assert ok.exit_code == 0, ok.output
        assert "企业: new 0, updated 1, unchanged 159, errors 0" in ok.output
        assert "imported (job 1" in ok.output

        bad = tmp_path / "bad.xlsx"
        bad.write_bytes(edit(content, {("企业", "G3"): "约200"}))
        failed = runner.invoke(cli, ["import", str(bad), "--park", str(park.id), "--yes"])
        assert failed.exit_code == 1
        assert "企业!G3: “职工人数”应为 0 或更大的整数，读到的是“约200”。" in failed.output

        text = tmp_path / "roster.txt"
        text.write_text("不是工作簿")
        refused = runner.invoke(cli, ["import", str(text), "--park", str(park.id)])
        assert refused.exit_code == 2 and "不是 Excel 工作簿" in refused.output
        with Session(db.get_engine()) as s:
            statuses = [j.status for j in s.exec(select(ImportJob).order_by(col(ImportJob.id)))]
            assert statuses == [ImportStatus.applied, ImportStatus.invalid]
            firm = s.exec(select(Enterprise).where(Enterprise.worker_count == 4321)).all()
            assert len(firm) == 1
    finally:
        db.get_engine().dispose()
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
