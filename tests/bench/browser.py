"""Time to interactive in real Chromium: a first page with a cold cache, then a later page.

Used by tests.bench.scale for each size it serves. `leader` logs in through the login form
once; each try then opens a fresh browser context carrying that session (a context has an
HTTP cache of its own, so the first load is cold) and

- first load: / until its `load` event and its charts drawn (static/app.js fires
  `charts:drawn` on document once every chart is drawn; a page without charts: `load`);
- later page: /rankings in the same context (cache warm), measured the same way.

The times are the browser's own, from the navigation's start (performance.timeOrigin), so
they include the server's time and the transfer. The bytes are what Chromium received over
the wire for each load (CDP Network events): compressed bodies, and with their response
headers. Figures are printed, never asserted.
"""

import shutil
import statistics
from pathlib import Path

from app.accounts.service import DEMO_PASSWORD

USER = "leader"
FIRST = "/"
LATER = "/rankings"
TRIES = 3
TIMEOUT_MS = 60_000

# The launch of the browser tests (tests/browser/conftest.py): Debian's Chromium, no sandbox
# (containers), nothing that reaches out to the internet or adds requests of its own.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Runs before any script of each page: notes when the first `charts:drawn` fires, so an event
# that fires before we look is not missed.
WATCH_CHARTS = """
window.__bench = { drawn: null };
document.addEventListener("charts:drawn", function () {
  if (window.__bench.drawn === null) window.__bench.drawn = performance.now();
});
"""

# Milliseconds from the navigation's start to the load event's end and the charts drawn.
INTERACTIVE_MS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return Math.max(nav.loadEventEnd, window.__bench.drawn || 0);
}"""


class Transfer:
    """Bytes Chromium received per request, from the page's CDP Network events."""

    def __init__(self, cdp) -> None:
        self.total: dict[str, int] = {}  # requestId -> bytes on the wire, headers included
        self.headers: dict[str, int] = {}  # requestId -> bytes received up to the body
        self.encodings: dict[str, str] = {}  # URL -> Content-Encoding
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _response(self, ev) -> None:
        response = ev["response"]
        self.headers[ev["requestId"]] = int(response.get("encodedDataLength", 0))
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        self.encodings[response["url"]] = headers.get("content-encoding", "identity")

    def _finished(self, ev) -> None:
        self.total[ev["requestId"]] = int(ev["encodedDataLength"])

    def clear(self) -> None:
        self.total.clear()
        self.headers.clear()
        self.encodings.clear()

    def figures(self) -> dict:
        wire = sum(self.total.values())
        body = sum(max(0, n - self.headers.get(rid, 0)) for rid, n in self.total.items())
        # Answers from the cache finish with 0 bytes: they are not counted as requests.
        network = sum(1 for n in self.total.values() if n > 0)
        return {"wire": wire, "body": body, "requests": network}


def _interactive(page, url: str) -> tuple[float, int | None, int]:
    """Loads `url` in `page`; (ms until load and charts drawn, HTTP status, charts)."""
    resp = page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "performance.getEntriesByType('navigation')[0].loadEventEnd > 0", timeout=TIMEOUT_MS
    )
    charts = page.locator("[data-chart]").count()
    if charts:
        page.wait_for_function("window.__bench.drawn !== null", timeout=TIMEOUT_MS)
    return page.evaluate(INTERACTIVE_MS), resp.status if resp else None, charts


def _log_in(browser, base: str) -> dict:
    """Logs `leader` in through the form; the context's storage state (its session cookie)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base + "/login", timeout=TIMEOUT_MS)
        page.fill("input[name=username]", USER)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation(timeout=TIMEOUT_MS):
            page.click("button[type=submit]")
        if page.url.rstrip("/") != base:
            raise RuntimeError(f"login as {USER} ended on {page.url}")
        return context.storage_state()
    finally:
        context.close()


def _try(browser, base: str, state: dict) -> dict:
    """One cold first load of FIRST and a later LATER in the same context."""
    context = browser.new_context(storage_state=state, viewport={"width": 1440, "height": 900})
    try:
        context.add_init_script(WATCH_CHARTS)
        page = context.new_page()
        transfer = Transfer(context.new_cdp_session(page))
        first_ms, first_status, first_charts = _interactive(page, base + FIRST)
        # Anything the page still fetches after it is interactive belongs to its first load.
        page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        first = transfer.figures()
        encodings = dict(transfer.encodings)
        transfer.clear()
        later_ms, later_status, later_charts = _interactive(page, base + LATER)
        page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        later = transfer.figures()
    finally:
        context.close()
    return {
        "first_ms": first_ms,
        "later_ms": later_ms,
        "statuses": (first_status, later_status),
        "charts": (first_charts, later_charts),
        "first": first,
        "later": later,
        "encodings": encodings,
    }


def interactive_figures(base: str) -> dict:
    """TRIES first and later loads as `leader` against the server at `base`.

    {"skipped": why} without Chromium or Playwright; {"error": what} when the browser or the
    login fails; else medians of the times and the bytes of the last try.
    """
    if not Path(CHROMIUM).exists():
        return {"skipped": "no chromium"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "no playwright"}
    tries, errors = [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                state = _log_in(browser, base)
                for _ in range(TRIES):
                    try:
                        tries.append(_try(browser, base, state))
                    except Exception as exc:  # a page that errors is reported, not fatal
                        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            finally:
                browser.close()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    if not tries:
        return {"error": errors[0] if errors else "no try finished"}
    last = tries[-1]
    return {
        "first_ms": statistics.median(t["first_ms"] for t in tries),
        "later_ms": statistics.median(t["later_ms"] for t in tries),
        "tries": len(tries),
        "errors": errors,
        "statuses": sorted({s for t in tries for s in t["statuses"]}, key=str),
        "charts": last["charts"],
        "first": last["first"],
        "later": last["later"],
        "encodings": last["encodings"],
    }
