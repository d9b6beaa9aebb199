"""Backup and restore: a consistent snapshot while writes go on, refusals, the command line.

SQLite by default (temporary files); with PARKGRID_TEST_DATABASE_URL the source and target
are two databases of their own on the same PostgreSQL server, dropped at the end.
"""

import hashlib
import io
import json
import os
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from typer.testing import CliRunner

from app.accounts.models import LoginFailure, User
from app.audit.models import AuditAction, AuditLog
from app.core import backup as backups
from app.core import config, db, files
from app.core.db import make_engine, writer
from app.demo.loader import load_demo
from app.migrate import schema_differences, upgrade

PG_URL = os.environ.get("PARKGRID_TEST_DATABASE_URL")
ENGINE = "postgresql" if PG_URL else "sqlite"
OTHER = "sqlite" if PG_URL else "postgresql"
# The tables the writer adds one row to in every transaction.
WRITTEN = ("audit_log", "login_failure")


@dataclass
class Place:
    """A database and an evidence folder."""

    url: str
    evidence: Path


@dataclass
class Made:
    """The archive made while a writer ran, and what the source held around it."""

    archive: Path
    result: backups.BackupResult
    before: dict[str, int]
    after: dict[str, int]
    files: dict[str, str]
    # Transactions the writer committed while the backup ran.
    during: int


def _pg_admin() -> Engine:
    return create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _pg_name(db_url: str, role: str) -> str:
    """A database named after the suite's (which under xdist carries the worker's id), so
    that two workers, or two suites on one cluster, never drop each other's."""
    return f"{make_url(db_url).database}_bk_{role}"


def _pg_database(name: str, *, create: bool) -> str:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {
                t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in names
            }
    finally:
        engine.dispose()


def _hashes(folder: Path) -> dict[str, str]:
    return {
        f"{p.parent.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.glob("??/*")
        if p.is_file() and not p.name.endswith(".part")
    }


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def source(tmp_path_factory, db_url) -> Iterator[Place]:
    """A migrated demo database and an evidence folder with a few stored files."""
    base = tmp_path_factory.mktemp("backup-source")
    name = _pg_name(db_url, "src")
    url = _pg_database(name, create=True) if PG_URL else f"sqlite:///{base}/src.db"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session=session)
        session.commit()
    engine.dispose()
    evidence = base / "evidence"
    for i in range(6):
        files.store(evidence, b"%PDF-1.7 " + os.urandom(2000 + i), files.PDF)
    files.store(evidence, b"\x89PNG\r\n\x1a\n" + os.urandom(500), files.PNG)
    # A file being stored at backup time: not an upload yet, left out.
    (evidence / "ab").mkdir(exist_ok=True)
    (evidence / "ab" / ("ab" + "0" * 62 + ".part")).write_bytes(b"half")
    yield Place(url, evidence)
    if PG_URL:
        _pg_database(name, create=False)


@pytest.fixture
def target(tmp_path, db_url) -> Iterator[Place]:
    """An empty database (PostgreSQL: a new one; SQLite: a file not yet there), no folder."""
    name = _pg_name(db_url, "dst")
    url = _pg_database(name, create=True) if PG_URL else f"sqlite:///{tmp_path}/dst.db"
    yield Place(url, tmp_path / "evidence")
    if PG_URL:
        _pg_database(name, create=False)


def _write_rows(engine: Engine, stop: threading.Event, done: list[int], errors: list) -> None:
    """Short transactions, each adding an audit row and a login failure and renaming a user."""
    n = 0
    while not stop.is_set():
        try:
            with Session(writer(engine)) as s:
                n += 1
                s.add(AuditLog(action=AuditAction.login_failed, object_type="test", object_id=n))
                s.add(LoginFailure(username=f"writer{n}", client_address="10.0.0.1"))
                s.execute(
                    sa.update(User).where(User.username == "leader").values(display_name=f"写{n}")
                )
                s.commit()
            done.append(n)
        except Exception as exc:  # the test fails on it below
            errors.append(exc)
            return
        time.sleep(0.002)


def _wait_for(done: list[int], count: int, errors: list) -> None:
    deadline = time.monotonic() + 20
    while len(done) < count:
        assert not errors, errors
        assert time.monotonic() < deadline, "the writer stalled"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def made(source, tmp_path_factory) -> Made:
    """An archive written while another connection kept writing to the source."""
    before = _counts(source.url)
    engine = make_engine(source.url)
    stop, done, errors = threading.Event(), [], []
    thread = threading.Thread(target=_write_rows, args=(engine, stop, done, errors))
    thread.start()
    try:
        _wait_for(done, 10, errors)
        archive = tmp_path_factory.mktemp("backup-archive") / "parkgrid.tar.gz"
        started = len(done)
        result = backups.backup(
            database_url=source.url, evidence_dir=source.evidence, target=archive
        )
        during = len(done) - started
        _wait_for(done, len(done) + 10, errors)
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    assert not errors, errors
    return Made(archive, result, before, _counts(source.url), _hashes(source.evidence), during)


def test_a_backup_taken_during_writes_restores_a_consistent_snapshot(made, target):
    manifest = made.result.manifest
    assert manifest.engine == ENGINE
    # The writer added the same number of rows to each table it wrote to, one transaction at
    # a time, and went on after the snapshot: the snapshot holds whole transactions only.
    added = {t: manifest.tables[t] - made.before[t] for t in WRITTEN}
    assert len(set(added.values())) == 1, added
    k = added["audit_log"]
    assert 10 <= k <= made.after["audit_log"] - made.before["audit_log"] - 10
    assert made.during > 0, "no write committed while the backup ran"
    # Every other table is as the source had it.
    untouched = {t: n for t, n in manifest.tables.items() if t not in WRITTEN}
    assert untouched == {t: n for t, n in made.after.items() if t not in WRITTEN}
    assert set(manifest.tables) == set(made.after)
    # Files: every stored one with its checksum; the half-written .part left out.
    assert {f.name: f.sha256 for f in manifest.files} == made.files
    assert len(made.files) == 7 and made.result.skipped == ["ab/ab" + "0" * 62 + ".part"]

    done = backups.restore(
        database_url=target.url, evidence_dir=target.evidence, source=made.archive
    )

    assert done.manifest.tables == manifest.tables and not done.needs_migrate
    assert _counts(target.url) == manifest.tables
    assert _hashes(target.evidence) == made.files
    assert _tree(target.evidence) == sorted({f.split("/")[0] for f in made.files} | set(made.files))
    engine = make_engine(target.url)
    with Session(engine) as s:
        leader = s.exec(sa.select(User.display_name).where(User.username == "leader"))
        assert leader.scalar_one() == f"写{k}"
        # The restored database takes new rows (PostgreSQL: its sequences came along).
        s.add(AuditLog(action=AuditAction.login, object_type="test"))
        s.commit()
    assert schema_differences(engine) == []
    engine.dispose()


def test_the_archive_holds_a_manifest_first(made):
    with tarfile.open(made.archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[0] == "manifest.json"
    assert names[1] == backups.DUMPS[ENGINE]
    assert sorted(names[2:]) == sorted(f"evidence/{n}" for n in made.files)
    assert manifest["format"] == "parkgrid-backup" and manifest["version"] == 1
    assert manifest["alembic_revision"] and manifest["engine"] == ENGINE
    assert set(manifest["database"]) == {"name", "sha256", "size"}
    assert made.archive.stat().st_mode & 0o077 == 0  # password hashes inside: owner only


# --- refusals: a clear Chinese message, and nothing written --------------------------------


def _state(place: Place) -> tuple:
    """What a restore could have changed: the tables, the folder and what lies beside them."""
    tables = _counts(place.url) if PG_URL or Path(place.url[10:]).exists() else None
    folder = _tree(place.evidence) if place.evidence.exists() else None
    return tables, folder, _tree(place.evidence.parent)


def _refused(archive: Path, place: Place, expected: str) -> str:
    before = _state(place)
    with pytest.raises(backups.Refused) as caught:
        backups.restore(database_url=place.url, evidence_dir=place.evidence, source=archive)
    assert expected in caught.value.message, caught.value.message
    assert _state(place) == before
    return caught.value.message


def test_a_non_empty_database_is_refused(made, target):
    engine = create_engine(target.url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE keep_me (id integer)"))
    engine.dispose()
    message = _refused(made.archive, target, "目标数据库不是空的")
    assert "keep_me" in message


def test_a_non_empty_folder_is_refused(made, target):
    (target.evidence / "notes").mkdir(parents=True)
    (target.evidence / "notes" / "readme.txt").write_text("keep")
    _refused(made.archive, target, "证据文件夹")


def test_a_damaged_archive_is_refused(made, target, tmp_path):
    cut = tmp_path / "cut.tar.gz"
    data = made.archive.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    _refused(cut, target, "已损坏")
    cut.write_bytes(data[:100])
    _refused(cut, target, "已损坏")


def _rewrite(archive: Path, out: Path, *, manifest=None, member=None, drop=None) -> Path:
    """A copy of an archive with its manifest or one member changed, or one member dropped."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()
            if info.name == drop:
                continue
            if info.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif member and info.name.startswith("evidence/"):
                data, member = member(data), None
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


def test_a_checksum_mismatch_or_a_missing_member_is_refused(made, target, tmp_path):
    flipped = _rewrite(
        made.archive, tmp_path / "flipped.tar.gz", member=lambda b: b[:-1] + bytes([b[-1] ^ 1])
    )
    _refused(flipped, target, "与清单记录的校验和或大小不符")
    first = f"evidence/{made.result.manifest.files[0].name}"
    short = _rewrite(made.archive, tmp_path / "short.tar.gz", drop=first)
    _refused(short, target, "不在归档中")


def test_a_foreign_file_is_refused(made, target, tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("这不是备份\n" * 100)
    _refused(text_file, target, "不是 ParkGrid 备份文件")
    other_tar = tmp_path / "other.tar"
    with tarfile.open(other_tar, "w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    _refused(other_tar, target, "不是 ParkGrid 备份文件")
    no_manifest = _rewrite(made.archive, tmp_path / "no-manifest.tar.gz", drop="manifest.json")
    _refused(no_manifest, target, "不是 ParkGrid 备份文件")
    renamed = _rewrite(
        made.archive, tmp_path / "renamed.tar.gz", manifest=lambda m: {**m, "format": "other"}
    )
    _refused(renamed, target, "不是 ParkGrid 备份文件")


def test_a_backup_of_the_other_engine_is_refused(made, target, tmp_path):
    def swap(m):
        name = backups.DUMPS[OTHER]
        return {**m, "engine": OTHER, "database": {**m["database"], "name": name}}

    swapped = _rewrite(made.archive, tmp_path / "swapped.tar.gz", manifest=swap)
    _refused(swapped, target, "不能恢复到")


def test_an_unknown_migration_is_refused(made, target, tmp_path):
    newer = _rewrite(
        made.archive,
        tmp_path / "newer.tar.gz",
        manifest=lambda m: {**m, "alembic_revision": "ffffffffffff"},
    )
    _refused(newer, target, "不认识")


def test_a_missing_pg_program_is_named_in_chinese(tmp_path):
    with pytest.raises(backups.Refused) as caught:
        backups.find_pg_program(name="pg_dump", pg_bin=tmp_path)
    assert "找不到 PostgreSQL 的 pg_dump 程序" in caught.value.message


def test_libpq_arguments_keep_the_password_off_the_command_line():
    conninfo, env = backups.libpq_args(
        database_url="postgresql+psycopg://u%40x:s3cr%2Ft@db.example:6432/pg?sslmode=require"
    )
    assert conninfo == "postgresql://u%40x@db.example:6432/pg?sslmode=require"
    assert env["PGPASSWORD"] == "s3cr/t"


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def run(monkeypatch):
    """Runs `parkgrid` with a database and an evidence folder of the test's choosing."""
    from app.cli import cli

    def invoke(place: Place, *args: str):
        monkeypatch.setenv("PARKGRID_DATABASE_URL", place.url)
        monkeypatch.setenv("PARKGRID_EVIDENCE_DIR", str(place.evidence))
        config.get_settings.cache_clear()
        return CliRunner().invoke(cli, list(args))

    yield invoke
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()


def test_backup_and_restore_from_the_command_line(run, source, target, tmp_path):
    archive = tmp_path / "cli.tar"
    made = run(source, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "备份已写入" in made.output and "个文件" in made.output
    again = run(source, "backup", str(archive))
    assert again.exit_code == 2 and "已存在" in again.output

    foreign = tmp_path / "x.txt"
    foreign.write_text("hello")
    refused = run(target, "restore", str(foreign))
    assert refused.exit_code == 2 and "不是 ParkGrid 备份文件" in refused.output

    restored = run(target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "已与清单核对" in restored.output and "全部一致" in restored.output

    refused = run(target, "restore", str(archive))
    assert refused.exit_code == 2
    assert "目标数据库不是空的" in refused.output and "未恢复任何内容" in refused.output


def test_serve_with_workers(run, monkeypatch, target):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    both = run(target, "serve", "--reload", "--workers", "2")
    assert both.exit_code == 2 and "--reload 不能与大于 1 的 --workers 同时使用" in both.output
    assert calls == []
    assert run(target, "serve", "--workers", "0").exit_code == 2
    ok = run(target, "serve", "--workers", "3")
    assert ok.exit_code == 0, ok.output
    app, kw = calls[0]
    assert app == "app.main:create_app" and kw["factory"] is True and kw["workers"] == 3
    assert ("SQLite" in ok.output) == (ENGINE == "sqlite")


def test_a_restore_that_does_not_check_out_says_what_is_left(run, made, target, monkeypatch):
    real = backups._count_rows

    def one_row_short(**kw):
        counts = real(**kw)
        counts["enterprise"] -= 1
        return counts

    monkeypatch.setattr(backups, "_count_rows", one_row_short)
    result = run(target, "restore", str(made.archive))
    assert result.exit_code == 1
    assert "表 enterprise 有" in result.output and "请勿使用该数据库" in result.output
