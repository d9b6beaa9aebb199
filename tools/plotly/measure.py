"""Chromium figures for the plotly.js bundle: what a first load transfers, and how long a
first and a later page take from navigation start until every chart on it is drawn.

Serves the demo with uvicorn on loopback (a fresh SQLite file, as tests/bench/dashboards.py
does), logs in as the leader, empties the browser's cache, then walks the dashboards in one
tab: the first page loads plotly.js over the wire, the later ones from the cache.

    .venv/bin/python -m tools.plotly.measure [--runs 3]

Per page: bytes on the wire (compressed, headers included), when the page had arrived
(responseEnd), when its deferred scripts had run (DOMContentLoaded), and when its charts
were drawn: the first animation frame in which every [data-chart] figure holds its SVG
(polled from the page's own first frame, so it does not depend on app.js), and the event
`charts:drawn` that app.js fires, when the page has it. Run it on a quiet machine: the
times grow with whatever else the cores are doing.
"""

import argparse
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from sqlmodel import Session, select

from app.accounts.service import DEMO_PASSWORD
from tests.helpers import serving

USER = "leader"

# Runs in every document before its own scripts: notes the frame all charts are drawn in.
WATCH = """
(() => {
  window.__drawn = null;
  window.__event = null;
  document.addEventListener("charts:drawn", () => {
    if (window.__event === null) window.__event = performance.now();
  });
  function check() {
    const figures = document.querySelectorAll("[data-chart]");
    if (figures.length && [...figures].every((f) => f.querySelector("svg.main-svg"))) {
      window.__drawn = performance.now();
      return;
    }
    requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
})();
"""


def _pages(engine) -> list[tuple[str, str]]:
    from app.geo.models import Area, Park

    with Session(engine) as s:
        liangxi = s.exec(select(Area.id).where(Area.name == "梁溪区")).one()
        huaxia = s.exec(select(Park.id).where(Park.name == "无锡华夏家居港")).one()
    return [
        ("overview (first)", "/"),
        ("district", f"/districts/{liangxi}"),
        ("park", f"/parks/{huaxia}"),
        ("rankings", "/rankings"),
        ("overview (again)", "/"),
    ]


def _walk(browser, base: str, pages) -> list[dict]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    # Leave the overview: its scripts are not to be parsed again before the measured walk.
    page.goto(base + "/reports")
    page.wait_for_load_state("networkidle")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda ev: sizes.__setitem__(ev["requestId"], int(ev["encodedDataLength"])),
    )
    page.add_init_script(WATCH)
    out = []
    for name, path in pages:
        sizes.clear()
        page.goto(base + path)
        page.wait_for_function("() => window.__drawn !== null", timeout=60_000)
        page.wait_for_load_state("networkidle")
        drawn, event, nav = page.evaluate(
            """() => [window.__drawn, window.__event,
                      performance.getEntriesByType("navigation")[0].toJSON()]"""
        )
        out.append(
            {
                "name": name,
                "bytes": sum(sizes.values()),
                "requests": len(sizes),
                "drawn": drawn,
                "event": event,
                "response": nav["responseEnd"],
                "scripts": nav["domContentLoadedEventStart"],
            }
        )
    context.close()
    return out


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    folder = tempfile.mkdtemp(prefix="parkgrid-measure-")
    with serving(f"sqlite:///{Path(folder) / 'measure.db'}") as (base, engine):
        pages = _pages(engine)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            walks = [_walk(browser, base, pages) for _ in range(runs)]
            browser.close()
    print(f"Chromium, {runs} walks; median (slowest) of each figure; times from navigation start")
    for i, (name, path) in enumerate(pages):
        rows = [walk[i] for walk in walks]

        def fig(key: str, rows=rows) -> str:
            values = [r[key] for r in rows if r[key] is not None]
            if not values:
                return "      —        "
            return f"{statistics.median(values):6.0f} ({max(values):5.0f})"

        kb = statistics.median(r["bytes"] for r in rows) / 1024
        path = re.sub(r"\d+", "N", path)
        print(
            f"  {name:<17} {path:<14} {kb:6.0f} KB in {rows[0]['requests']:2d} requests"
            f"  page in {fig('response')}  scripts run {fig('scripts')}"
            f"  charts drawn {fig('drawn')} ms  charts:drawn event {fig('event')} ms"
        )


if __name__ == "__main__":
    main()
