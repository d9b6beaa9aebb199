"""Browser tests: Debian's Chromium driven by Playwright against a live server on loopback.

The live server has its own SQLite database with the demo (a real server cannot share the
rolled-back transaction of the other tests). Without /usr/bin/chromium these tests skip;
.ci/run installs it.
"""

import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrate import upgrade
from app.demo.loader import load_demo
from app.main import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    if shutil.which("chromium") is None:
        skip = pytest.mark.skip(reason="Chromium is not installed (.ci/run installs it)")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The app served by uvicorn on a free loopback port, with the demo loaded: (url, engine)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        load_demo(session=s)
        s.commit()
    app = create_app(Settings(database_url=url), engine=engine)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "live server did not start"
    yield f"http://127.0.0.1:{port}", engine
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(live) -> str:
    return live[0]


@pytest.fixture(scope="session")
def live_engine(live):
    """The live server's engine, for a test to put rows in place (committed) before it acts."""
    return live[1]
