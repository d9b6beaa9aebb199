"""Database engine, SQLite tuning and the one-transaction-per-request session."""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, event, text
from sqlalchemy import exc as sa_exc
from sqlmodel import Session, create_engine

from app.core.config import Settings, get_settings
from app.core.errors import Busy, Conflict, Denied, Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The longest a refusal's audit row waits for the write lock (seconds), then it goes to the
# server log instead: long enough to pass the usual writes (milliseconds), short enough that
# a flood of refusals during a long write (an import) cannot pin the thread pool.
REFUSAL_WAIT = 0.5
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Waits:
    """How long a request may wait on the database before it is answered 503 (seconds)."""

    lock: float = 5.0
    statement: float = 30.0
    idle_in_transaction: float = 60.0

    @classmethod
    def of(cls, settings: Settings) -> "Waits":
        return cls(
            lock=settings.db_lock_timeout_seconds,
            statement=settings.db_statement_timeout_seconds,
            idle_in_transaction=settings.db_idle_in_transaction_seconds,
        )


def make_engine(url: str, *, echo: bool = False, waits: Waits | None = None) -> Engine:
    """Creates an engine whose every wait is bounded.

    PostgreSQL sessions carry lock, statement and idle-in-transaction timeouts; SQLite gets
    WAL, foreign keys, explicit BEGINs and a queue for its one write lock.
    """
    waits = waits or Waits()
    if not url.startswith("sqlite"):
        ms = {
            "lock_timeout": waits.lock,
            "statement_timeout": waits.statement,
            "idle_in_transaction_session_timeout": waits.idle_in_transaction,
        }
        options = " ".join(f"-c {k}={round(v * 1000)}" for k, v in ms.items())
        return create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            # Threads beyond the pool wait this long for a connection, then get a 503.
            pool_size=10,
            max_overflow=20,
            pool_timeout=waits.lock,
            connect_args={"options": options},
        )

    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
    queue = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours to emit
        # (the SQLAlchemy-documented recipe); otherwise SAVEPOINTs and BEGIN IMMEDIATE break.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Writers take the write lock up front: a deferred transaction that later
        # upgrades to a writer can fail with SQLITE_BUSY without waiting.
        options = conn.get_execution_options()
        mode = options.get("sqlite_begin", "DEFERRED")
        wait = options.get("write_wait", waits.lock)
        # Another process's writer (a CLI import, a second server) is waited for this long.
        conn.exec_driver_sql(f"PRAGMA busy_timeout={round(wait * 1000)}")
        if mode != "IMMEDIATE":
            conn.exec_driver_sql(f"BEGIN {mode}")
            return
        # This process's writers queue on a lock of their own, handed over the moment the
        # holder commits; SQLite's busy handler would instead poll with growing sleeps,
        # so that under load most writers slept past their turn and timed out.
        if not queue.acquire(timeout=wait):
            raise Busy
        conn.info[_HOLDS_QUEUE] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn.info)
            raise

    def _release(info: dict) -> None:
        if info.pop(_HOLDS_QUEUE, False):
            queue.release()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn) -> None:
        _release(conn.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record) -> None:
        # A connection returned without its transaction ended never keeps the queue.
        _release(record.info)

    return engine


_HOLDS_QUEUE = "parkgrid_write_queue"


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "no lock or connection in time" (answer 503)."""
    if isinstance(exc, Busy | TimeoutError | sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.OperationalError | sa_exc.DBAPIError):
        return False
    orig = exc.orig
    # psycopg: lock_timeout / statement_timeout (query canceled), deadlock, serialization.
    if getattr(orig, "sqlstate", None) in {"55P03", "57014", "40P01", "40001"}:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, echo=settings.sql_echo, waits=Waits.of(settings))


def writer(engine: Engine) -> Engine:
    """The same engine, opening write transactions (BEGIN IMMEDIATE on SQLite)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


def session_factory(engine: Engine) -> Callable[[bool], Session]:
    """Opens sessions for work outside a request (background jobs): writing ones take the
    write lock up front, like a writing request's."""

    def open_session(write: bool) -> Session:
        return Session(writer(engine) if write else engine, expire_on_commit=False)

    return open_session


def add_new(session: Session, obj: object, *, conflict: str) -> None:
    """Adds a row that two people may be creating at the same moment: the one whose insert
    meets the other's (a unique constraint) gets a Conflict with `conflict`, not a 500."""
    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except sa_exc.IntegrityError:
        raise Conflict(conflict) from None


def try_write(engine: Engine, work: Callable[[Session], object], *, wait: float = 0.2) -> bool:
    """Runs a small write in a short transaction of its own, or skips it (False) when the
    lock is not free within `wait` seconds: for bookkeeping that must never hold up or fail
    the request it serves (a session's last-seen time)."""
    bind = writer(engine).execution_options(write_wait=wait)
    try:
        with Session(bind) as session:
            if engine.dialect.name == "postgresql":
                session.execute(text(f"SET LOCAL lock_timeout = {round(wait * 1000)}"))
            work(session)
            session.commit()
    except Exception as exc:
        if is_busy(exc):
            return False
        raise
    return True


@contextmanager
def request_transaction(session: Session) -> Iterator[Session]:
    """Commits when the block ends, rolls back on error.

    A refusal (an object out of scope, a page the role lacks, a failed CSRF check) rolls
    back whatever the request did, then keeps its audit row: the record of an attempt must
    survive the attempt's failure.
    """
    try:
        yield session
        session.commit()
    except (Denied, Forbidden) as exc:
        session.rollback()
        if exc.row is not None:
            _keep_refusal(session, exc.row)
        raise
    except BaseException:
        session.rollback()
        raise


# Who writes a refusal's audit row: the audit domain registers its writer as it loads
# (core cannot import it). Unset, a refusal fails loudly rather than going unrecorded.
_refusal_writer: Callable[..., None] | None = None


def keep_refusals_with(write: Callable[..., None]) -> None:
    """Registers the writer of refusals' audit rows: `write(session=..., row=...)`."""
    global _refusal_writer
    _refusal_writer = write


def _keep_refusal(session: Session, row) -> None:
    """Writes a refusal's audit row in a short transaction of its own, waiting at most
    REFUSAL_WAIT for the write lock; when busy it is logged instead.

    A refused GET writes too (the attempt is the point), but its answer is the refusal
    either way: a busy database must neither fail it with a 503 nor hold it for the whole
    lock wait. Repeats fold into one row (one small upsert), so the trail cannot be grown
    at will and the write is short.
    """
    refused = _refusal_writer
    if refused is None:
        raise RuntimeError("no writer of refusals is registered (app.audit.service does it)")
    try:
        if session.get_bind().dialect.name == "sqlite":
            session.connection(
                execution_options={"sqlite_begin": "IMMEDIATE", "write_wait": REFUSAL_WAIT}
            )
            refused(session=session, row=row)
        else:
            session.execute(text(f"SET LOCAL lock_timeout = {round(REFUSAL_WAIT * 1000)}"))
            refused(session=session, row=row)
            session.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
        session.commit()
    except Exception as exc:
        session.rollback()
        if not is_busy(exc):
            raise
        after = row.after or {}
        log.warning(
            "refusal not audited (database busy): user=%s address=%s route=%s object=%s#%s",
            row.username,
            row.client_address,
            after.get("route", ""),
            row.object_type,
            row.object_id,
        )


_READS_FIRST = "__parkgrid_reads_first__"


def reads_first(endpoint: Callable) -> Callable:
    """Marks a writing route whose slow part only reads (a login's password check): its
    transaction starts as a reader, and the route calls `begin_writing` before it writes,
    so nobody queues for the write lock behind the slow part."""
    setattr(endpoint, _READS_FIRST, True)
    return endpoint


def begin_writing(session: Session) -> None:
    """Ends a reads-first route's read (it wrote nothing) and takes the write lock for
    the rest of the request (BEGIN IMMEDIATE on SQLite)."""
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def end_writing(session: Session) -> None:
    """Commits what a writing request changed and lets the rest of it only read, so the
    write lock is not held while its answer is rendered (SQLite has one write lock: every
    other writer waits for it)."""
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})


def release_before_rendering(request: Request) -> None:
    """Called by the templates' render: a writing request's change is complete by the time
    its page or fragment is rendered, so it commits first (with its audit rows, as ever)."""
    session = getattr(request.state, "db_session", None)
    if session is not None and request.method not in SAFE_METHODS and session.in_transaction():
        end_writing(session)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    A writing request starts as a reader: the security layer reads who is asking, then
    calls `authenticated` and the route's first statement takes the write lock.
    """
    with (
        Session(request.app.state.engine, expire_on_commit=False) as session,
        request_transaction(session),
    ):
        request.state.db_session = session
        yield session


def authenticated(request: Request, session: Session) -> None:
    """Ends the security layer's reads; a writing route's own work then opens its write
    transaction (BEGIN IMMEDIATE on SQLite) in the route's thread.

    Were the write lock taken during authentication, its holder would then wait for a
    free thread to run its route while every thread waited for the lock it holds.
    """
    route = request.scope.get("route")
    reads_first = getattr(getattr(route, "endpoint", None), _READS_FIRST, False)
    if request.method in SAFE_METHODS or reads_first or not isinstance(session.bind, Engine):
        return  # a reader; or a route that takes the lock itself; or a test's connection
    session.commit()
    session.bind = writer(session.bind)


# scope="function": commit before the response leaves, so a failed commit is a 500,
# never a success page for a change that did not land.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
