"""Who owns a running import job: a worker process under a lease. Recovery fails the jobs
of workers that are gone, and never a job that a live worker holds."""

import inspect
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from app.core.permissions import system
from app.core.types import utcnow
from app.enterprises.models import Enterprise, Ownership, Size
from app.geo.models import Grid, Park
from app.imports import service, views, workers
from app.imports.models import ImportFile, ImportJob, ImportStatus
from app.imports.workers import Worker
from tests.imports.books import code, download, edit, job, job_of, upload

CHECK_INTERRUPTED = "校验在服务停止或重启时中断，未导入任何数据，请重新上传文件。"
APPLY_INTERRUPTED = "导入在服务停止或重启时中断，未写入任何数据，请重新确认或重新上传。"


def _park(session) -> Park:
    return session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()


def _running(
    session,
    worker: Worker | str,
    *,
    status: ImportStatus = ImportStatus.applying,
    lease: timedelta | None = timedelta(seconds=30),
) -> ImportJob:
    """A job in the middle of its work, held by `worker` for `lease` more (None: no lease)."""
    j = ImportJob(
        park_id=_park(session).id,
        filename="租约.xlsx",
        sha256="0" * 64,
        status=status,
        worker=str(worker),
        lease_until=utcnow() + lease if lease is not None else None,
        # A job being checked has no preview yet; one being applied had a clean one.
        digest="" if status is ImportStatus.checking else "1" * 64,
        counts=None if status is ImportStatus.checking else {},
    )
    session.add(j)
    session.flush()
    return j


def _recover(session) -> list[int]:
    failed = service.recover_interrupted(session)
    session.expire_all()
    return failed


def _ended_process() -> Worker:
    """A worker of this host whose process has ended (started, seen running, then gone)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        token = workers.proc_token(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    if token is None:
        pytest.skip("no /proc: a process's start cannot be told on this system")
    return Worker(workers.host(), proc.pid, token)


@pytest.fixture
def sleeper():
    """Another live process of this host, as a worker."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    token = workers.proc_token(proc.pid)
    if token is None:
        proc.kill()
        proc.wait()
        pytest.skip("no /proc: a process's start cannot be told on this system")
    yield proc, Worker(workers.host(), proc.pid, token)
    proc.kill()
    proc.wait()


def test_the_worker_names_this_host_this_process_and_its_start():
    me = workers.current()
    assert me.pid == os.getpid() and me.host == workers.host()
    assert Worker.parse(str(me)) == me
    assert workers.alive(me) is True
    assert Worker.parse("") is None and Worker.parse("no-pid-here") is None
    assert Worker.parse("web-1.example:123:abc") == Worker("web-1.example", 123, "abc")


def test_a_job_whose_worker_process_ended_is_failed_at_once(session):
    dead = _ended_process()
    assert workers.alive(dead) is False
    applying = _running(session, dead)  # its lease would still run for 30 s
    checking = _running(session, dead, status=ImportStatus.checking)
    assert service.interrupted(applying) and service.interrupted(checking)

    assert set(_recover(session)) == {applying.id, checking.id}
    assert (applying.status, applying.message) == (ImportStatus.failed, APPLY_INTERRUPTED)
    assert (checking.status, checking.message) == (ImportStatus.failed, CHECK_INTERRUPTED)
    assert applying.lease_until is None and applying.finished_at is not None
    # A checked file cut off while applying may be confirmed again; a check, uploaded again.
    assert service.can_confirm(applying) and not service.can_confirm(checking)


def test_a_job_this_live_process_holds_is_left_alone(session):
    mine = _running(session, workers.current())
    assert not service.interrupted(mine)
    assert _recover(session) == []
    assert mine.status is ImportStatus.applying and mine.message == ""
    assert not service.can_confirm(mine)


def test_a_job_another_live_process_of_this_host_holds_is_left_alone(session, sleeper):
    proc, other = sleeper
    held = _running(session, other)
    assert workers.alive(other) is True
    assert _recover(session) == []
    assert held.status is ImportStatus.applying

    proc.kill()
    proc.wait()
    assert _recover(session) == [held.id]
    assert held.status is ImportStatus.failed


def test_a_reused_process_id_is_not_the_worker(session):
    me = workers.current()
    earlier = Worker(me.host, me.pid, me.token + "0")  # an earlier life of this pid
    j = _running(session, earlier)
    assert workers.alive(earlier) is False
    assert _recover(session) == [j.id]


def test_a_job_whose_lease_ran_out_is_failed_though_its_worker_lives(session):
    j = _running(session, workers.current(), lease=timedelta(seconds=-1))
    assert service.interrupted(j)
    assert _recover(session) == [j.id]
    assert j.status is ImportStatus.failed and j.message == APPLY_INTERRUPTED


def test_a_job_of_another_host_counts_by_its_lease(session):
    far = Worker("another-host.example", os.getpid(), "r0123456789ab")
    assert workers.alive(far) is None  # this host cannot tell
    held = _running(session, far)
    lapsed = _running(session, far, lease=timedelta(seconds=-5))
    unleased = _running(session, far, lease=None)  # running before leases existed
    assert set(_recover(session)) == {lapsed.id, unleased.id}
    assert held.status is ImportStatus.applying


def test_finished_jobs_are_never_touched(session):
    dead = _ended_process()
    done = [
        _running(session, dead, status=s, lease=timedelta(seconds=-5))
        for s in (ImportStatus.checked, ImportStatus.invalid, ImportStatus.applied)
    ]
    assert _recover(session) == []
    assert [j.status for j in done] == [
        ImportStatus.checked,
        ImportStatus.invalid,
        ImportStatus.applied,
    ]


def _sessions(connection):
    return lambda write: Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def _checked_job(session, connection, worker_count: int) -> int:
    """A checked job of the park's own roster with the first enterprise's workers changed."""
    park = _park(session)
    content = edit(service.export(session, system(), park), {("企业", "G2"): worker_count})
    j = service.start(session, system(), park_id=park.id, filename="名册.xlsx", content=content)
    service.run_check(_sessions(connection), system(), j.id)
    j = job(session, j.id)
    assert j.status is ImportStatus.checked, j.message
    return j.id


def test_a_runner_whose_job_another_worker_holds_writes_nothing(session, connection):
    job_id = _checked_job(session, connection, 4321)
    j = job(session, job_id)
    far = Worker("another-host.example", 1, "r0123456789ab")
    j.status, j.worker, j.lease_until = (
        ImportStatus.applying,
        str(far),
        utcnow() + timedelta(seconds=30),
    )
    session.add(j)
    session.flush()

    service.run_apply(_sessions(connection), system(), job_id)
    j = job(session, job_id)
    assert (j.status, j.worker, j.audit_id) == (ImportStatus.applying, str(far), None)
    assert session.exec(select(Enterprise).where(Enterprise.worker_count == 4321)).first() is None


def test_confirming_claims_the_job_for_this_process_and_applying_lets_it_go(session, connection):
    job_id = _checked_job(session, connection, 4322)
    before = utcnow()
    j = service.confirm(session, system(), job_id)
    assert j.status is ImportStatus.applying and j.worker == str(workers.current())
    assert j.lease_until >= before + service.LEASE
    session.flush()

    service.run_apply(_sessions(connection), system(), job_id)
    j = job(session, job_id)
    assert j.status is ImportStatus.applied, j.message
    assert j.lease_until is None and j.rows_done == j.rows_total > 0
    assert session.exec(select(Enterprise).where(Enterprise.worker_count == 4322)).one()


def test_a_roster_changed_between_the_check_and_the_write_is_checked_again(
    login, session, monkeypatch
):
    """The write transaction compares the roster with the one the plan was made from; a
    change in between (here: an enterprise added to the park) sends the apply round again."""
    park = _park(session)
    client = login("park_huaxia")
    content = download(client, f"/parks/{park.id}/roster.xlsx")
    job_id = job_of(upload(client, park.id, edit(content, {("企业", "G2"): 4323})))
    grid = session.exec(select(Grid).where(Grid.park_id == park.id)).first()
    prepared = []

    def prepare_while_someone_adds_a_firm(plan, current, j):
        if not prepared:
            session.add(
                Enterprise(
                    credit_code=code(77),
                    name="插队企业有限公司",
                    grid_id=grid.id,
                    ownership=Ownership.private,
                    size=Size.small,
                )
            )
            session.flush()
        prepared.append(service._fingerprint_of(current))
        return real_prepare(plan, current, j)

    real_prepare = service.prepare
    monkeypatch.setattr(service, "prepare", prepare_while_someone_adds_a_firm)
    client.post(f"/imports/{job_id}/confirm")
    j = job(session, job_id)
    assert j.status is ImportStatus.applied, j.message
    assert len(prepared) == 2 and prepared[0] != prepared[1]
    firms = session.exec(
        select(func.count(col(Enterprise.id)))
        .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
        .where(Grid.park_id == park.id)
    ).one()
    assert firms == 161  # the import added nothing; the other enterprise stays
    assert session.exec(select(Enterprise).where(Enterprise.worker_count == 4323)).one()


def test_a_job_cut_off_while_checking_is_uploaded_again_not_confirmed(login, session):
    park = _park(session)
    client = login("park_huaxia")
    j = _running(session, _ended_process(), status=ImportStatus.checking)
    session.add(ImportFile(job_id=j.id, content=service.template(session, park)))
    session.flush()
    page = client.get(f"/imports/{j.id}")
    assert page.status_code == 422 and CHECK_INTERRUPTED in page.text
    refused = client.post(f"/imports/{j.id}/confirm", follow_redirects=False)
    assert refused.status_code == 409


def test_every_import_route_runs_in_the_thread_pool():
    routes = [r for r in views.router.routes if hasattr(r, "endpoint")]
    assert len(routes) >= 10
    assert [r.path for r in routes if inspect.iscoroutinefunction(r.endpoint)] == []
