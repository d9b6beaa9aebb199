"""Benchmark: how fast the dashboards are served and how much a browser downloads.

Serves the demo with uvicorn on loopback (a fresh SQLite file), then prints for each page:
- the server's time to answer (its Server-Timing header; median and slowest of 20 requests);
- what real Chromium transfers (compressed bytes on the wire, headers included) for a first
  load with an empty cache, and for the same page opened later with the cache warm.

    .venv/bin/python -m tests.bench.dashboards

Targets (issue 7): city overview under 100 ms on the server; a first load at most 1.5 MB;
a later page under 100 KB. Run by `make bench`.
"""

import re
import shutil
import statistics
import tempfile
from pathlib import Path

import httpx2
from sqlmodel import Session, select

from app.accounts.service import DEMO_PASSWORD
from tests.helpers import serving

RUNS = 20
USER = "leader"


def _pages(engine) -> list[tuple[str, str]]:
    from app.geo.models import Area, Park

    with Session(engine) as s:
        liangxi = s.exec(select(Area.id).where(Area.name == "梁溪区")).one()
        huaxia = s.exec(select(Park.id).where(Park.name == "无锡华夏家居港")).one()
    return [
        ("city overview /", "/"),
        ("district", f"/districts/{liangxi}"),
        ("park", f"/parks/{huaxia}"),
        ("big screen", "/screen"),
        ("rankings", "/rankings"),
        ("park print view", f"/parks/{huaxia}/print"),
    ]


def _login(client: httpx2.Client) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post(
        "/login", data={"username": USER, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert resp.status_code in (200, 303), resp.status_code


def server_times(base: str, pages) -> None:
    print(f"server time (Server-Timing, {RUNS} requests each, logged in as {USER}):")
    with httpx2.Client(base_url=base, follow_redirects=False) as client:
        _login(client)
        for name, path in pages:
            took, status, size = [], 0, 0
            for _ in range(RUNS + 2):
                resp = client.get(path, headers={"Accept-Encoding": "br, gzip"})
                status, size = resp.status_code, len(resp.content)
                took.append(float(resp.headers["server-timing"].split("dur=")[1]))
            took = took[2:]  # the first requests warm the caches
            print(
                f"  {name:<18} {path:<22} HTTP {status}  median {statistics.median(took):6.1f} ms"
                f"  slowest {max(took):6.1f} ms  ({size / 1024:.0f} KB of HTML unpacked)"
            )


def _recorder(sizes: dict[str, int]):
    def record(ev) -> None:
        sizes[ev["requestId"]] = int(ev["encodedDataLength"])

    return record


def transfers(base: str, pages) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("transfer sizes: skipped, Chromium is not installed")
        return
    print("transfer (bytes on the wire, compressed, headers included; real Chromium):")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, path in pages:
            context = browser.new_context()
            page = context.new_page()
            # Log in through the form, then start the measured load with an empty cache.
            page.goto(base + "/login")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.clearBrowserCache")
            sizes: dict[str, int] = {}
            cdp.on("Network.loadingFinished", _recorder(sizes))
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            first, first_n = sum(sizes.values()), len(sizes)
            sizes.clear()
            page.goto(base + "/rankings" if path != "/rankings" else base + "/")
            page.wait_for_load_state("networkidle")
            sizes.clear()
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            later, later_n = sum(sizes.values()), len(sizes)
            print(
                f"  {name:<18} first load {first / 1024:7.0f} KB in {first_n:2d} requests"
                f"   later {later / 1024:5.0f} KB in {later_n:2d} requests"
            )
            context.close()
        browser.close()


def main() -> None:
    folder = tempfile.mkdtemp(prefix="parkgrid-bench-")
    with serving(f"sqlite:///{Path(folder) / 'bench.db'}") as (base, engine):
        pages = _pages(engine)
        server_times(base, pages)
        transfers(base, pages)
    print("targets: overview < 100 ms on the server; first load <= 1536 KB; later < 100 KB")


if __name__ == "__main__":
    main()
