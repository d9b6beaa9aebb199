"""Small readers of rendered pages, for tests that check what a user sees."""

import json
import re
import socket
import threading
import time
from contextlib import contextmanager
from html import unescape

import uvicorn


def kpi(html: str, name: str) -> str:
    """The text of the figure marked data-kpi="name", tags stripped."""
    m = re.search(rf'<(span|strong)[^>]*data-kpi="{re.escape(name)}"[^>]*>(.*?)</\1>', html, re.S)
    assert m, f"no figure {name!r} on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", m.group(2))).split())


def charts(html: str) -> list[dict]:
    """The Plotly figures embedded in the page."""
    return [
        json.loads(unescape(m))
        for m in re.findall(
            r'data-chart[^>]*>\s*<script type="application/json">(.*?)</script>', html, re.S
        )
    ]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The body rows of a table as lists of cell texts."""
    m = re.search(rf'<table[^>]*id="{table_id}".*?<tbody[^>]*>(.*?)</tbody>', html, re.S)
    assert m, f"no table {table_id!r}"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(1), re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append([" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows


def form_token(html: str) -> str:
    """The CSRF token a page puts in its forms."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def log_in(client, username: str, password: str):
    """Logs a test browser in through the login form; later requests carry the CSRF header."""
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert resp.status_code == 303, (resp.status_code, resp.text[:500])
    home = client.get("/")
    m = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
    assert m, "no CSRF token on the page after login"
    client.headers["X-CSRF-Token"] = m.group(1)
    return resp


@contextmanager
def serving(url: str, *, demo: bool = True, prepare=None, **overrides):
    """A migrated demo database at `url`, served by uvicorn on a free loopback port.

    Yields (base URL, engine). For tests that need a real server: browsers, races.
    `overrides` are settings of the server (e.g. a shorter lock wait); with demo=False
    the database is served as it is; `prepare(app, engine)` runs before serving.
    """
    from app.core.config import Settings
    from app.core.db import Waits, make_engine
    from app.main import create_app

    settings = Settings(database_url=url, **overrides)
    if demo:
        demo_database(url).dispose()
    engine = make_engine(url, waits=Waits.of(settings))
    app = create_app(settings, engine=engine)
    if prepare is not None:
        prepare(app, engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the live server did not start"
    try:
        yield f"http://127.0.0.1:{port}", engine
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@contextmanager
def own_database(db_url: str, folder, name: str):
    """An empty database of a test's own on the suite's engine, for code that commits
    (a real server, a generator): a SQLite file in `folder`, or on PostgreSQL a database
    `<suite's>_<name>` on the same cluster, dropped afterwards. Under xdist the suite's
    database is the worker's own (`parkgrid_test_gw0`, tests/conftest.py), so two workers'
    databases never share a name."""
    from pathlib import Path

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if not db_url.startswith("postgresql"):
        yield f"sqlite:///{Path(folder) / (name + '.db')}"
        return
    url = make_url(db_url)
    database = f"{url.database}_{name}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_database(url: str):
    """Migrates the database at `url` and loads the demo into it; returns its engine."""
    from sqlmodel import Session

    from app.core.db import make_engine
    from app.demo.loader import load_demo
    from app.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        load_demo(session=s)
        s.commit()
    return engine


@contextmanager
def serving_process(
    url: str, *, workers: int = 1, env: dict | None = None, demo: bool = True, quiet: bool = False
):
    """`parkgrid serve` in a process of its own (its own process group) on a free port.

    Yields (base URL, engine, process). For tests that need real server processes:
    several workers behind one port, or a server to kill -9. With demo=False the database
    at `url` is served as it is (a restart on the same database).
    """
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import httpx2 as httpx

    from app.core.db import make_engine

    engine = demo_database(url) if demo else make_engine(url)
    port = free_port()
    bin_dir = Path(sys.executable).parent
    environment = {
        **os.environ,
        "PARKGRID_DATABASE_URL": url,
        "PARKGRID_ENV": "test",
        "PARKGRID_SECRET_KEY": os.environ.get("PARKGRID_SECRET_KEY", "test-secret-" + "x" * 32),
        "PARKGRID_EVIDENCE_DIR": os.environ.get(
            "PARKGRID_EVIDENCE_DIR", tempfile.mkdtemp(prefix="parkgrid-files-")
        ),
        **(env or {}),
    }
    command = [str(bin_dir / "parkgrid"), "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    # Quiet: no access log on our output (a bench prints its own figures); errors still show.
    stdout = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen(command, env=environment, start_new_session=True, stdout=stdout)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"the server exited with {proc.returncode}"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base, engine, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        engine.dispose()
