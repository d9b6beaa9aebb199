"""Database engine, SQLite tuning and the one-transaction-per-request session."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from app.core.config import get_settings
from app.core.errors import Denied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Creates an engine; SQLite gets WAL, a busy timeout, foreign keys and explicit BEGINs."""
    if not url.startswith("sqlite"):
        return create_engine(url, echo=echo, pool_pre_ping=True)

    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours to emit
        # (the SQLAlchemy-documented recipe); otherwise SAVEPOINTs and BEGIN IMMEDIATE break.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Writers take the write lock up front: a deferred transaction that later
        # upgrades to a writer can fail with SQLITE_BUSY without waiting.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, echo=settings.sql_echo)


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


@contextmanager
def request_transaction(session: Session) -> Iterator[Session]:
    """Commits when the block ends, rolls back on error.

    A denied access rolls back whatever the request did, then keeps its audit row: the
    record of an attempt must survive the attempt's failure.
    """
    try:
        yield session
        session.commit()
    except Denied as exc:
        session.rollback()
        if exc.row is not None:
            session.add(exc.row)
            session.commit()
        raise
    except BaseException:
        session.rollback()
        raise


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    engine = request.app.state.engine
    bind = engine if request.method in SAFE_METHODS else writer(engine)
    with Session(bind, expire_on_commit=False) as session, request_transaction(session):
        yield session


# scope="function": commit before the response leaves, so a failed commit is a 500,
# never a success page for a change that did not land.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
