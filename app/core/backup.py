"""Backups: a consistent snapshot of the database and the evidence files in one archive.

The archive is a tar (gzip-compressed unless its name ends in .tar) whose first entry is
manifest.json; then the database (SQLite: a copy made through the online backup API;
PostgreSQL: a pg_dump custom-format dump) and the evidence files under evidence/. The
manifest holds every table's row count and the SHA-256 and size of every other entry, so a
restore can refuse a damaged or foreign file before it writes anything, and check its work
afterwards.
"""

import contextlib
import glob
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from app.core.files import path_of
from app.core.i18n import _

FORMAT = "parkgrid-backup"
VERSION = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
EVIDENCE = "evidence/"
# Stored files are named by the SHA-256 of their content plus the kind's extension
# (app.core.files.store); anything else in the folder (a .part being written) is no upload.
STORED_NAME = re.compile(r"[0-9a-f]{64}\.(?!part$)[a-z0-9]{1,10}")
HEX64 = re.compile(r"[0-9a-f]{64}")
# Columns that name a stored file, by convention in every table that references one.
FILE_COLUMN = "stored_name"
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024
# Well-known places of the PostgreSQL client programs (Debian/Ubuntu, RHEL, Homebrew).
PG_BIN_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)
# The backup's own PostgreSQL session may be long: none of the server's usual bounds apply.
UNBOUNDED = "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0 -c lock_timeout=0"


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(BackupError):
    """Refused before anything was written: the target is exactly as it was."""


class Incomplete(BackupError):
    """Failed after writing started; the message says what state is left."""


@dataclass(frozen=True)
class Entry:
    """One file in the archive: its name there, SHA-256 and size."""

    name: str
    sha256: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """What an archive holds, written as manifest.json at its start."""

    engine: str
    created: datetime
    alembic_revision: str | None
    tables: dict[str, int]
    database: Entry
    files: list[Entry]
    # Files that rows of the snapshot name but the evidence folder lacked at backup time.
    missing_files: list[str] = field(default_factory=list)
    server_version: str | None = None
    app_version: str | None = None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def files_size(self) -> int:
        return sum(f.size for f in self.files)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "engine": self.engine,
            "created": self.created.isoformat(timespec="seconds"),
            "alembic_revision": self.alembic_revision,
            "server_version": self.server_version,
            "app_version": self.app_version,
            "tables": dict(sorted(self.tables.items())),
            "database": self.database.as_json(),
            "files": [f.as_json() for f in self.files],
            "missing_files": self.missing_files,
        }


@dataclass(frozen=True)
class BackupResult:
    """A written archive: where, its size, its manifest and what deserves a warning."""

    path: Path
    size: int
    manifest: Manifest
    # Entries of the evidence folder that are not stored files and were left out.
    skipped: list[str]


@dataclass(frozen=True)
class RestoreResult:
    """A restore that was checked against its manifest."""

    manifest: Manifest
    # The backup's migration is older than this version's newest: run `parkgrid migrate`.
    needs_migrate: bool


@dataclass(frozen=True)
class _Snapshot:
    tables: dict[str, int]
    revision: str | None
    referenced: set[str]
    server_version: str | None = None


# ---------------------------------------------------------------------------------------
# Backup


def backup(
    *,
    database_url: str,
    evidence_dir: Path,
    target: Path,
    overwrite: bool = False,
    pg_bin: Path | None = None,
) -> BackupResult:
    """Writes a consistent snapshot of the database and the evidence files to one archive."""
    engine = engine_of(database_url=database_url)
    target = Path(target)
    if target.is_dir():
        raise Refused(
            _("{path} is a folder; give the name of the backup file.").format(path=target)
        )
    if target.exists() and not overwrite:
        raise Refused(
            _("{path} already exists; give another name, or --force to replace it.").format(
                path=target
            )
        )
    if not target.parent.is_dir():
        raise Refused(_("The folder {path} does not exist.").format(path=target.parent))
    evidence_dir = Path(evidence_dir)
    if evidence_dir.exists() and not evidence_dir.is_dir():
        raise Refused(_("{path} is not a folder.").format(path=evidence_dir))
    pg_dump = find_pg_program(name="pg_dump", pg_bin=pg_bin) if engine == "postgresql" else None

    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".parkgrid-backup-") as work:
        dump = Path(work) / DUMPS[engine]
        if engine == "sqlite":
            snap = _snapshot_sqlite(source=sqlite_path(database_url=database_url), dump=dump)
        else:
            snap = _snapshot_postgresql(url=database_url, dump=dump, pg_dump=pg_dump)
        # Walked after the snapshot: a row commits only after its file is stored, and
        # stored files are never removed, so every file the snapshot names is found.
        files, skipped = _stored_files(evidence_dir)
        entries = [_entry(p, name) for name, p in files]
        found = {Path(e.name).name for e in entries}
        manifest = Manifest(
            engine=engine,
            created=datetime.now(UTC).replace(microsecond=0),
            alembic_revision=snap.revision,
            tables=snap.tables,
            database=_entry(dump, DUMPS[engine]),
            files=entries,
            missing_files=sorted(snap.referenced - found),
            server_version=snap.server_version,
            app_version=_app_version(),
        )
        _write_archive(target=target, manifest=manifest, dump=dump, files=dict(files))
    return BackupResult(path=target, size=target.stat().st_size, manifest=manifest, skipped=skipped)


def _snapshot_sqlite(*, source: Path, dump: Path) -> _Snapshot:
    """Copies a live SQLite database through the online backup API and counts its rows."""
    if not source.is_file():
        raise Refused(_("The SQLite database {path} does not exist.").format(path=source))
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(dump)
    try:
        # One step (pages=-1) under one read transaction: a consistent copy, while
        # writers go on in WAL mode.
        src.backup(dst)
        # The copy stands alone, with no -wal file beside it; the app sets WAL again.
        dst.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_contents(dst)
    except sqlite3.Error as exc:
        raise BackupError(
            _("Reading the SQLite database failed; nothing was written: {error}").format(error=exc)
        ) from exc
    finally:
        dst.close()
        src.close()


def _sqlite_contents(con: sqlite3.Connection) -> _Snapshot:
    tables = _sqlite_tables(con)
    counts = {t: con.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in tables}
    referenced: set[str] = set()
    for t in tables:
        columns = {row[1] for row in con.execute(f"PRAGMA table_info({_quote(t)})")}
        if FILE_COLUMN in columns:
            referenced |= {
                r[0] for r in con.execute(f"SELECT DISTINCT {FILE_COLUMN} FROM {_quote(t)}") if r[0]
            }
    revision = None
    if "alembic_version" in counts:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return _Snapshot(counts, revision, referenced)


def _sqlite_tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name"
    )
    return [r[0] for r in rows]


def _snapshot_postgresql(*, url: str, dump: Path, pg_dump: str) -> _Snapshot:
    """Dumps a live PostgreSQL database with pg_dump and counts its rows in the same snapshot."""
    engine = _pg_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            # pg_dump reads the very snapshot the counts below are taken in.
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            snap = _pg_contents(conn)
            conninfo, env = libpq_args(database_url=url)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--file={dump}",
                    f"--snapshot={snapshot_id}",
                    # Waits for a table lock only this long (a migration holding one).
                    "--lock-wait-timeout=60000",
                    f"--dbname={conninfo}",
                ],
                env=env,
                program="pg_dump",
            )
            conn.rollback()
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError(
            _("Reading the PostgreSQL database failed; nothing was written: {error}").format(
                error=_first_line(exc)
            )
        ) from exc
    finally:
        engine.dispose()
    return snap


def _pg_contents(conn: Connection) -> _Snapshot:
    tables = _pg_tables(conn)
    counts = {
        key: conn.execute(
            text(f"SELECT count(*) FROM {_quote(schema)}.{_quote(name)}")
        ).scalar_one()
        for key, (schema, name) in tables.items()
    }
    referenced: set[str] = set()
    with_files = conn.execute(
        text(
            "SELECT table_schema, table_name FROM information_schema.columns "
            "WHERE column_name = :c AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ),
        {"c": FILE_COLUMN},
    )
    for schema, name in with_files.all():
        if _table_key(schema, name) in tables:
            q = f"SELECT DISTINCT {FILE_COLUMN} FROM {_quote(schema)}.{_quote(name)}"
            referenced |= {r[0] for r in conn.execute(text(q)) if r[0]}
    revision = None
    if "alembic_version" in counts:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    version = conn.execute(text("SHOW server_version")).scalar_one()
    return _Snapshot(counts, revision, referenced, version)


def _pg_tables(conn: Connection) -> dict[str, tuple[str, str]]:
    rows = conn.execute(
        text(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema') "
            "ORDER BY table_schema, table_name"
        )
    )
    return {_table_key(s, n): (s, n) for s, n in rows.all()}


def _table_key(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _stored_files(root: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """The stored files under root as (name in the archive, path), and what else is there."""
    found: list[tuple[str, Path]] = []
    skipped: list[str] = []
    if not root.is_dir():
        return found, skipped
    for sub in sorted(root.iterdir()):
        if not sub.is_dir() or len(sub.name) != 2:
            skipped.append(sub.name)
            continue
        for p in sorted(sub.iterdir()):
            name = p.name
            if p.is_file() and STORED_NAME.fullmatch(name) and name[:2] == sub.name:
                found.append((f"{sub.name}/{name}", p))
            else:
                skipped.append(f"{sub.name}/{name}")
    return found, skipped


def _write_archive(*, target: Path, manifest: Manifest, dump: Path, files: dict[str, Path]) -> None:
    """Writes the archive beside the target, then renames it into place."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    mode = "w" if target.name.endswith(".tar") else "w:gz"
    options = {} if mode == "w" else {"compresslevel": 6}
    mtime = int(manifest.created.timestamp())
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode=mode, **options) as tar:
                data = json.dumps(manifest.as_json(), ensure_ascii=False, indent=1).encode()
                tar.addfile(_member(MANIFEST, len(data), mtime), io.BytesIO(data))
                _add(tar, manifest.database, dump, mtime)
                for e in manifest.files:
                    _add(tar, e, files[e.name], mtime, prefix=EVIDENCE)
            raw.flush()
            os.fsync(raw.fileno())
        tmp.replace(target)
        _fsync_dir(target.parent)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, BackupError | KeyboardInterrupt):
            raise
        if isinstance(exc, OSError):
            raise BackupError(
                _("Writing {path} failed; nothing was written: {error}").format(
                    path=target, error=exc
                )
            ) from exc
        raise


def _add(tar: tarfile.TarFile, entry: Entry, path: Path, mtime: int, prefix: str = "") -> None:
    with path.open("rb") as fh:
        reader = _HashingReader(fh)
        tar.addfile(_member(prefix + entry.name, entry.size, mtime), reader)
    if reader.digest() != entry.sha256 or reader.size != entry.size:
        raise BackupError(
            _("{name} changed while the backup was being written; nothing was written.").format(
                name=entry.name
            )
        )


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    return info


# ---------------------------------------------------------------------------------------
# Restore


def restore(
    *,
    database_url: str,
    evidence_dir: Path,
    source: Path,
    pg_bin: Path | None = None,
) -> RestoreResult:
    """Loads an archive into an empty database and evidence folder, then checks it."""
    engine = engine_of(database_url=database_url)
    source = Path(source)
    evidence_dir = Path(evidence_dir)
    if not source.is_file():
        raise Refused(_("The backup file {path} does not exist.").format(path=source))
    pg_restore = (
        find_pg_program(name="pg_restore", pg_bin=pg_bin) if engine == "postgresql" else None
    )
    _check_database_empty(url=database_url, engine=engine)
    _check_folder_empty(evidence_dir)

    created: list[Path] = []  # folders this restore made, removed again on refusal
    stage: Path | None = None
    db_stage: Path | None = None
    try:
        with _open_archive(source) as tar:
            manifest = _read_manifest(tar, source=source)
            if manifest.engine != engine:
                raise Refused(
                    _(
                        "This is a backup of a {source} database; it cannot be restored into "
                        "{target}."
                    ).format(source=ENGINE_NAMES[manifest.engine], target=ENGINE_NAMES[engine])
                )
            needs_migrate = _check_revision(manifest.alembic_revision)
            db_target = sqlite_path(database_url=database_url) if engine == "sqlite" else None
            _check_space(manifest=manifest, evidence_dir=evidence_dir, db_target=db_target)

            created += _make_dirs(evidence_dir)
            stage = evidence_dir / f".parkgrid-restore-{secrets.token_hex(4)}"
            stage.mkdir()
            if db_target is not None:
                created += _make_dirs(db_target.parent)
                db_stage = db_target.parent / f".{db_target.name}.restore-{secrets.token_hex(4)}"
            else:
                db_stage = stage / DUMPS[engine]
            _extract(tar, manifest=manifest, source=source, stage=stage, db_stage=db_stage)

        # Everything is read and checked; from here on the targets change.
        _check_database_empty(url=database_url, engine=engine)
        if db_target is not None:
            _install_sqlite(staged=db_stage, target=db_target)
        else:
            _install_postgresql(url=database_url, dump=db_stage, pg_restore=pg_restore)
    except BaseException:
        if db_stage is not None:
            db_stage.unlink(missing_ok=True)
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        for d in reversed(created):
            with contextlib.suppress(OSError):
                d.rmdir()
        raise

    _move_files(stage=stage, evidence_dir=evidence_dir, manifest=manifest)
    shutil.rmtree(stage, ignore_errors=True)
    _verify(url=database_url, engine=engine, evidence_dir=evidence_dir, manifest=manifest)
    return RestoreResult(manifest=manifest, needs_migrate=needs_migrate)


def _check_database_empty(*, url: str, engine: str) -> None:
    if engine == "sqlite":
        path = sqlite_path(database_url=url)
        if path.exists() and not path.is_file():
            raise Refused(_("{path} is not a file.").format(path=path))
        if not path.exists() or path.stat().st_size == 0:
            return
        try:
            con = sqlite3.connect(path, timeout=5)
            try:
                tables = _sqlite_tables(con)
            finally:
                con.close()
        except sqlite3.Error:
            raise Refused(
                _("The target database file {path} is not an empty SQLite database.").format(
                    path=path
                )
            ) from None
    else:
        engine_ = _pg_engine(url)
        try:
            with engine_.connect() as conn:
                tables = _pg_objects(conn)
        except Exception as exc:
            raise Refused(
                _("Cannot connect to the target database: {error}").format(error=_first_line(exc))
            ) from exc
        finally:
            engine_.dispose()
    if tables:
        shown = "、".join(tables[:5]) + ("……" if len(tables) > 5 else "")
        raise Refused(
            _(
                "The target database is not empty (it has {count} objects: {names}); "
                "a backup is restored only into an empty database."
            ).format(count=len(tables), names=shown)
        )


def _pg_objects(conn: Connection) -> list[str]:
    """Tables, sequences, views, types and functions in the database's own schemas."""
    user_schema = (
        "n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
    )
    not_extension = (
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
    )
    q = f"""
        SELECT n.nspname || '.' || c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {user_schema} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
          AND {not_extension.format(oid="c.oid")}
        UNION ALL
        SELECT n.nspname || '.' || t.typname FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE {user_schema} AND t.typtype IN ('e', 'd', 'r', 'm') AND t.typelem = 0
          AND {not_extension.format(oid="t.oid")}
        UNION ALL
        SELECT n.nspname || '.' || p.proname FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE {user_schema} AND {not_extension.format(oid="p.oid")}
        ORDER BY 1
    """
    return [r[0] for r in conn.execute(text(q))]


def _check_folder_empty(folder: Path) -> None:
    if not folder.exists():
        return
    if not folder.is_dir():
        raise Refused(_("{path} is not a folder.").format(path=folder))
    count = sum(len(names) for _dir, _dirs, names in os.walk(folder))
    if count:
        raise Refused(
            _(
                "The evidence folder {path} is not empty (it holds {count} files); a backup is "
                "restored only into an empty or missing folder."
            ).format(path=folder, count=count)
        )


@contextlib.contextmanager
def _open_archive(source: Path) -> Iterator[tarfile.TarFile]:
    with source.open("rb") as fh:
        head = fh.read(512)
        fh.seek(0)
        try:
            # Opening is what may fail here; the `with` below closes it.
            tar = tarfile.open(fileobj=fh, mode="r|*")  # noqa: SIM115
        except (tarfile.TarError, EOFError, OSError, zlib.error):
            # A gzip or tar that cannot be opened is damaged; anything else is foreign.
            if head.startswith(b"\x1f\x8b") or head[257:262] == b"ustar":
                raise _damaged(source, _("the archive cannot be read")) from None
            raise _foreign(source) from None
        with tar:
            yield tar


def _next(tar: tarfile.TarFile, source: Path) -> tarfile.TarInfo | None:
    try:
        return tar.next()
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        raise _damaged(source, _("the archive is cut short or corrupt")) from None


def _read_manifest(tar: tarfile.TarFile, *, source: Path) -> Manifest:
    first = _next(tar, source)
    if first is None or first.name != MANIFEST:
        raise _foreign(source)
    if not first.isfile() or first.size > MANIFEST_MAX_BYTES:
        raise _damaged(source, _("manifest.json cannot be read"))
    buf = io.BytesIO()
    _copy(tar, first, buf, source)
    try:
        data = json.loads(buf.getvalue().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _damaged(source, _("manifest.json cannot be read")) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _foreign(source)
    if data.get("version") != VERSION:
        raise Refused(
            _(
                "{path} is a ParkGrid backup of format version {version}, which this version "
                "of ParkGrid cannot read."
            ).format(path=source, version=data.get("version"))
        )
    try:
        return _parse_manifest(data)
    except (KeyError, TypeError, ValueError):
        raise _damaged(source, _("manifest.json is incomplete")) from None


def _parse_manifest(data: dict[str, Any]) -> Manifest:
    engine = data["engine"]
    if engine not in DUMPS:
        raise ValueError(engine)
    tables = data["tables"]
    if not isinstance(tables, dict) or not all(
        isinstance(k, str) and type(v) is int and v >= 0 for k, v in tables.items()
    ):
        raise ValueError("tables")
    database = _parse_entry(data["database"])
    if database.name != DUMPS[engine]:
        raise ValueError(database.name)
    files = [_parse_entry(f) for f in data["files"]]
    names = [f.name for f in files]
    if len(set(names)) != len(names) or not all(_is_stored(n) for n in names):
        raise ValueError("files")
    revision = data.get("alembic_revision")
    if revision is not None and not isinstance(revision, str):
        raise ValueError("alembic_revision")
    return Manifest(
        engine=engine,
        created=datetime.fromisoformat(data["created"]),
        alembic_revision=revision,
        tables=tables,
        database=database,
        files=files,
        missing_files=[str(n) for n in data.get("missing_files") or []],
        server_version=data.get("server_version"),
        app_version=data.get("app_version"),
    )


def _parse_entry(data: dict[str, Any]) -> Entry:
    name, sha, size = data["name"], data["sha256"], data["size"]
    if not isinstance(name, str) or not isinstance(sha, str) or not HEX64.fullmatch(sha):
        raise ValueError(name)
    if type(size) is not int or size < 0:
        raise ValueError(size)
    return Entry(name, sha, size)


def _is_stored(name: str) -> bool:
    sub, _sep, base = name.partition("/")
    return STORED_NAME.fullmatch(base) is not None and sub == base[:2]


def _check_revision(revision: str | None) -> bool:
    """Refuses a migration this version does not know; says whether one is still to run."""
    from alembic.script import ScriptDirectory

    from app.core.config import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    if revision is None:
        return True
    try:
        known = script.get_revision(revision)
    except Exception:
        known = None
    # get_revision also resolves a prefix; only the exact revision counts.
    if known is None or known.revision != revision:
        raise Refused(
            _(
                "The backup's database is at migration {revision}, which this version of "
                "ParkGrid does not know; restore it with the version that made it."
            ).format(revision=revision)
        )
    return revision not in script.get_heads()


def _check_space(*, manifest: Manifest, evidence_dir: Path, db_target: Path | None) -> None:
    """Refuses when a disk lacks room for what the restore puts on it."""
    needs: dict[int, tuple[Path, int]] = {}

    def need(path: Path, size: int) -> None:
        where = _existing(path)
        dev = where.stat().st_dev
        prev = needs.get(dev, (where, 0))[1]
        needs[dev] = (where, prev + size)

    need(evidence_dir, manifest.files_size)
    need(db_target if db_target is not None else evidence_dir, manifest.database.size)
    for where, size in needs.values():
        free = shutil.disk_usage(where).free
        if size > free:
            raise Refused(
                _(
                    "Not enough free space on the disk of {path}: {needed} needed, {free} free."
                ).format(path=where, needed=human_size(size), free=human_size(free))
            )


def _extract(
    tar: tarfile.TarFile, *, manifest: Manifest, source: Path, stage: Path, db_stage: Path
) -> None:
    """Copies every entry to the staging places, checking it against the manifest."""
    expected = {manifest.database.name: (manifest.database, db_stage)}
    for e in manifest.files:
        expected[EVIDENCE + e.name] = (e, stage / "files" / e.name)
    seen: set[str] = set()
    while (member := _next(tar, source)) is not None:
        name = member.name
        if name not in expected or not member.isfile():
            raise _damaged(
                source, _("it holds {name}, which the manifest does not list").format(name=name)
            )
        if name in seen:
            raise _damaged(source, _("it holds {name} twice").format(name=name))
        seen.add(name)
        entry, dest = expected[name]
        if member.size != entry.size:
            raise _damaged(source, _("{name} does not match the manifest").format(name=name))
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb") as out:
            digest = _copy(tar, member, out, source)
            out.flush()
            os.fsync(out.fileno())
        if digest != entry.sha256:
            raise _damaged(source, _("{name} does not match the manifest").format(name=name))
    absent = sorted(set(expected) - seen)
    if absent:
        raise _damaged(
            source,
            _("{name} is listed in the manifest but missing from the archive").format(
                name=absent[0]
            ),
        )


def _copy(tar: tarfile.TarFile, member: tarfile.TarInfo, out: IO[bytes], source: Path) -> str:
    """Copies a member's content, reading errors counted as damage; returns its SHA-256."""
    h = hashlib.sha256()
    try:
        src = tar.extractfile(member)
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        raise _damaged(source, _("the archive is cut short or corrupt")) from None
    assert src is not None
    while True:
        try:
            chunk = src.read(CHUNK)
        except (tarfile.TarError, EOFError, OSError, zlib.error):
            raise _damaged(source, _("the archive is cut short or corrupt")) from None
        if not chunk:
            break
        h.update(chunk)
        out.write(chunk)
    return h.hexdigest()


def _install_sqlite(*, staged: Path, target: Path) -> None:
    """Puts the checked snapshot in place of the (empty) target database file."""
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    staged.replace(target)
    _fsync_dir(target.parent)


def _install_postgresql(*, url: str, dump: Path, pg_restore: str) -> None:
    """Loads the checked dump into the empty database in one transaction."""
    conninfo, env = libpq_args(database_url=url)
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(dump),
        ],
        env=env,
        program="pg_restore",
        rolled_back=True,
    )


def _move_files(*, stage: Path, evidence_dir: Path, manifest: Manifest) -> None:
    files = stage / "files"
    moved = 0
    try:
        if files.is_dir():
            for sub in sorted(files.iterdir()):
                dest = evidence_dir / sub.name
                if not dest.exists():
                    sub.rename(dest)
                    moved += sum(1 for _ in dest.iterdir())
                    continue
                for p in sorted(sub.iterdir()):
                    p.rename(dest / p.name)
                    moved += 1
    except OSError as exc:
        raise Incomplete(
            _(
                "The database was restored, but putting the evidence files in place failed "
                "({error}): {moved} of {total} files are in {folder}, the others in {stage}. "
                "Move them into {folder} by hand (same sub-folders)."
            ).format(
                error=exc,
                moved=moved,
                total=len(manifest.files),
                folder=evidence_dir,
                stage=files,
            )
        ) from exc


def _verify(*, url: str, engine: str, evidence_dir: Path, manifest: Manifest) -> None:
    """Compares the restored database and folder with the manifest."""
    problems: list[str] = []
    try:
        counts = _count_rows(url=url, engine=engine)
    except Exception as exc:
        counts = None
        problems.append(_first_line(exc))
    if counts is not None:
        for table in sorted(set(counts) | set(manifest.tables)):
            have, want = counts.get(table), manifest.tables.get(table)
            if have != want:
                problems.append(
                    _("table {table}: {have} rows, the manifest says {want}").format(
                        table=table, have=have, want=want
                    )
                )
    for e in manifest.files:
        path = path_of(evidence_dir, Path(e.name).name)
        if not path.is_file() or _entry(path, e.name) != e:
            problems.append(_("file {name} differs from the manifest").format(name=e.name))
    if problems:
        shown = "；".join(problems[:10]) + ("……" if len(problems) > 10 else "")
        raise Incomplete(
            _(
                "The backup was restored, but {count} checks against its manifest failed: "
                "{problems}. Do not use this database; empty it and the evidence folder and "
                "restore again."
            ).format(count=len(problems), problems=shown)
        )


def _count_rows(*, url: str, engine: str) -> dict[str, int]:
    if engine == "sqlite":
        con = sqlite3.connect(sqlite_path(database_url=url))
        try:
            return _sqlite_contents(con).tables
        finally:
            con.close()
    eng = _pg_engine(url)
    try:
        with eng.connect() as conn:
            return _pg_contents(conn).tables
    finally:
        eng.dispose()


# ---------------------------------------------------------------------------------------
# Shared pieces


def engine_of(*, database_url: str) -> str:
    """The engine a database URL names: sqlite or postgresql (anything else is refused)."""
    try:
        backend = make_url(database_url).get_backend_name()
    except Exception:
        backend = ""
    if backend not in DUMPS:
        raise Refused(
            _("Backups support SQLite and PostgreSQL databases, not {url}.").format(
                url=_safe_url(database_url)
            )
        )
    if backend == "sqlite":
        db = make_url(database_url).database
        if not db or db == ":memory:" or db.startswith("file:"):
            raise Refused(_("An in-memory SQLite database cannot be backed up or restored."))
    return backend


def sqlite_path(*, database_url: str) -> Path:
    """The file of a SQLite URL."""
    return Path(make_url(database_url).database or "")


def libpq_args(*, database_url: str) -> tuple[str, dict[str, str]]:
    """A psycopg URL as a libpq connection URI for pg_dump/pg_restore, the password in env."""
    url: URL = make_url(database_url)
    env = dict(os.environ)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    env["PGAPPNAME"] = "parkgrid-backup"
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # URL.set() keeps a password given None; _replace drops it.
    conninfo = url._replace(drivername="postgresql", password=None).render_as_string(
        hide_password=False
    )
    return conninfo, env


def find_pg_program(*, name: str, pg_bin: Path | None = None) -> str:
    """The path of a PostgreSQL client program: in pg_bin, the usual places, or on PATH."""
    if pg_bin is not None:
        candidates = [Path(pg_bin) / name]
    else:
        dirs = [Path(d) for pattern in PG_BIN_GLOBS for d in glob.glob(pattern)]
        # Newest first: a newer pg_dump reads an older server, never the other way round.
        dirs.sort(key=lambda d: [int(n) for n in re.findall(r"\d+", str(d))], reverse=True)
        candidates = [d / name for d in dirs]
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    where = str(pg_bin) if pg_bin is not None else "/usr/lib/postgresql/*/bin、PATH"
    raise Refused(
        _(
            "The PostgreSQL program {program} was not found (looked in {where}). Install the "
            "PostgreSQL client (on Debian: apt-get install postgresql-client), or give its "
            "folder with --pg-bin."
        ).format(program=name, where=where)
    )


def human_size(n: int) -> str:
    """A byte count for people: 512 B, 3.4 KB, 1.2 GB."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def _run(args: list[str], *, env: dict[str, str], program: str, rolled_back: bool = False) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(
            _("{program} could not be started: {error}").format(program=program, error=exc)
        ) from exc
    if done.returncode != 0:
        detail = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit {done.returncode}"
        message = _("{program} failed: {error}").format(program=program, error=detail)
        if rolled_back:
            message += " " + _("Its transaction was rolled back; nothing was restored.")
            raise Refused(message)
        raise BackupError(message + " " + _("Nothing was written."))


def _pg_engine(url: str, *, isolation_level: str | None = None):
    options: dict[str, Any] = {"poolclass": NullPool, "connect_args": {"options": UNBOUNDED}}
    if isolation_level:
        options["isolation_level"] = isolation_level
    return create_engine(url, **options)


class _HashingReader(io.RawIOBase):
    """A file read for the tar, hashed on the way."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self._hash = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self._hash.update(data)
        self.size += len(data)
        return data

    def digest(self) -> str:
        return self._hash.hexdigest()


def _entry(path: Path, name: str) -> Entry:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return Entry(name, h.hexdigest(), size)


def _make_dirs(folder: Path) -> list[Path]:
    """Makes a folder and its missing parents; returns those it made, outermost first."""
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        p = p.parent
    folder.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


def _existing(path: Path) -> Path:
    p = path
    while not p.exists():
        p = p.parent
    return p


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(exc).__name__])[0]


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "?"


def _app_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("parkgrid")
    except PackageNotFoundError:
        return None


def _damaged(source: Path, detail: str) -> Refused:
    return Refused(
        _("The backup file {path} is damaged: {detail}.").format(path=source, detail=detail)
    )


def _foreign(source: Path) -> Refused:
    return Refused(_("{path} is not a ParkGrid backup.").format(path=source))
