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
    m = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
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
def serving(url: str, **overrides):
    """A migrated demo database at `url`, served by uvicorn on a free loopback port.

    Yields (base URL, engine). For tests that need a real server: browsers, races.
    `overrides` are settings of the server (e.g. a shorter lock wait).
    """
    from sqlmodel import Session

    from app.core.config import Settings
    from app.core.db import Waits, make_engine
    from app.core.migrate import upgrade
    from app.demo.loader import load_demo
    from app.main import create_app

    settings = Settings(database_url=url, **overrides)
    engine = make_engine(url, waits=Waits.of(settings))
    upgrade(engine)
    with Session(engine) as s:
        load_demo(session=s)
        s.commit()
    app = create_app(settings, engine=engine)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the live server did not start"
    try:
        yield f"http://127.0.0.1:{port}", engine
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
