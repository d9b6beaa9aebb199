"""Shared fixtures: one migrated demo database per run, each test in a rolled-back transaction.

SQLite by default; set PARKGRID_TEST_DATABASE_URL to run the same suite on PostgreSQL
(.ci/run does, on a throwaway cluster).
"""

import os
import tempfile
from collections.abc import Callable, Iterator

import pytest

os.environ["PARKGRID_ENV"] = "test"
os.environ["PARKGRID_SECRET_KEY"] = "test-secret-" + "x" * 32
# Evidence files of the run go to a throwaway folder, never into var/.
os.environ.setdefault("PARKGRID_EVIDENCE_DIR", tempfile.mkdtemp(prefix="parkgrid-evidence-"))

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from app.accounts.service import DEMO_PASSWORD
from app.core import security
from app.core.config import Settings
from app.core.db import get_session, make_engine, request_transaction
from app.demo.loader import load_demo
from app.main import create_app
from app.migrate import upgrade
from tests.helpers import log_in, own_database

# Argon2 at its production cost takes 0.12-0.18 s a hash or check here, and the suite logs
# in a thousand times: that was a sixth of `make test`. The tests keep Argon2id and every
# code path (a login still checks a real hash, an unknown name still a dummy one made the
# same way) at pwdlib's cheapest cost. Servers in a process of their own (tests/test_crash)
# check these hashes by the parameters each hash carries.
security.passwords.hashers = (Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),)
security.passwords.current_hasher = security.passwords.hashers[0]

PG_URL = os.environ.get("PARKGRID_TEST_DATABASE_URL")
# Under pytest-xdist (make test runs it) each worker, gw0, gw1, ..., is a process of its own
# and must not see the rows another worker's tests commit: it gets a database of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def fresh_engine(url: str) -> Engine:
    """An engine on an empty database (PostgreSQL: the public schema is dropped and remade)."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> Iterator[str]:
    """The suite's database. SQLite: a file in the run's (and worker's) temporary folder.
    PostgreSQL: the database PARKGRID_TEST_DATABASE_URL names, or under xdist a database
    `<its name>_gw0` per worker on the same cluster, made and dropped here. The databases
    tests make for themselves (tests.helpers.own_database) are named after this one, so
    they differ between workers too."""
    if PG_URL and WORKER:
        with own_database(PG_URL, None, WORKER) as url:
            yield url
    else:
        yield PG_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'parkgrid-test.db'}"


@pytest.fixture(scope="session")
def engine(db_url) -> Iterator[Engine]:
    """The test database: migrated to head and loaded with the demo, once per run."""
    eng = fresh_engine(db_url)
    upgrade(eng)
    with Session(eng) as session:
        load_demo(session=session)
        session.commit()
    yield eng
    eng.dispose()


@pytest.fixture
def private_db_url(db_url, tmp_path) -> Iterator[str]:
    """An empty database of the test's own, on the suite's engine, for a real server.

    A live server commits, so it cannot share the suite's database: on SQLite a new
    file, on PostgreSQL a new database on the same cluster, dropped afterwards.
    """
    with own_database(db_url, tmp_path, "private") as url:
        yield url


@pytest.fixture
def connection(engine) -> Iterator[Connection]:
    """A connection whose outer transaction is rolled back after the test."""
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session(connection) -> Iterator[Session]:
    # Commits inside the code under test only release a SAVEPOINT.
    with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
        yield s


@pytest.fixture
def settings(db_url) -> Settings:
    return Settings(database_url=db_url)


@pytest.fixture
def app(connection, settings, engine) -> FastAPI:
    """The app, its request sessions bound to the test's rolled-back transaction."""
    application = create_app(settings, engine=engine)

    def session_in_test_transaction():
        with (
            Session(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            ) as s,
            request_transaction(s),
        ):
            yield s

    application.dependency_overrides[get_session] = session_in_test_transaction
    # Background jobs (imports) work in the same rolled-back transaction.
    application.state.sessions = lambda write: Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """A browser that has not logged in."""
    with TestClient(app) as c:
        yield c


@pytest.fixture
def login(app) -> Iterator[Callable[..., TestClient]]:
    """Opens a browser logged in as a demo account; its requests carry the CSRF token."""
    opened: list[TestClient] = []

    def open_as(username: str, password: str = DEMO_PASSWORD) -> TestClient:
        c = TestClient(app)
        opened.append(c)
        log_in(c, username, password)
        return c

    yield open_as
    for c in opened:
        c.close()


def pytest_report_header(config) -> str:
    if not PG_URL:
        return "database: SQLite (a temporary file per worker)"
    return f"database: PostgreSQL ({PG_URL}; under xdist a database <its name>_gwN per worker)"
