"""Browser tests: Debian's Chromium driven by Playwright against a live server on loopback.

The live server has its own SQLite database with the demo (a real server cannot share the
rolled-back transaction of the other tests). Without /usr/bin/chromium these tests skip;
.ci/run installs it.
"""

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.drawing import WATCH_CHARTS
from tests.helpers import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# expect() waits for its condition, polling; 5 s (Playwright's default) is too short for a
# first page on a loaded machine (xdist workers share two cores). A passing test does not
# wait longer for it, only a failing one.
expect.set_options(timeout=20_000)


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


@pytest.fixture
def context(context: BrowserContext) -> BrowserContext:
    """pytest-playwright's context, each page counting its `charts:drawn` events from its
    first script on (tests.browser.drawing.wait_for_charts waits on them)."""
    context.add_init_script(WATCH_CHARTS)
    return context


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The app served by uvicorn on a free loopback port, with the demo loaded: (url, engine)."""
    with serving(f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}") as running:
        yield running


@pytest.fixture(scope="session")
def live_server(live) -> str:
    return live[0]


@pytest.fixture(scope="session")
def live_engine(live):
    """The live server's engine, for a test to put rows in place (committed) before it acts."""
    return live[1]
