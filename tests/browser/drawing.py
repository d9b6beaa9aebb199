"""Waiting for charts in Chromium by the event static/app.js fires, never by a fixed time.

static/app.js dispatches `charts:drawn` on document once every chart it mounted is drawn.
The browser suite's context runs WATCH_CHARTS before any script of each page, so an event
that fires before a test looks is counted, not missed; a test waits for the count to pass
what it was before its action (a new document starts again at 0).
"""

from playwright.sync_api import Page

WATCH_CHARTS = """
window.__chartsDrawn = 0;
document.addEventListener("charts:drawn", function () {
  window.__chartsDrawn += 1;
});
"""


def drawn_so_far(page: Page) -> int:
    """How many times this document has fired `charts:drawn`."""
    count = page.evaluate("() => window.__chartsDrawn")
    assert isinstance(count, int), "the page does not run WATCH_CHARTS (tests/browser/conftest.py)"
    return count


def wait_for_charts(page: Page, since: int = 0) -> int:
    """Waits for a `charts:drawn` after the first `since` ones; returns how many charts the
    page holds, each checked to have drawn its SVG."""
    drawn_so_far(page)
    page.wait_for_function("since => window.__chartsDrawn > since", arg=since)
    undrawn = page.evaluate(
        """() => [...document.querySelectorAll('[data-chart]')]
            .filter(f => !f.querySelector('svg.main-svg')).length"""
    )
    assert undrawn == 0, f"{undrawn} charts without their SVG after charts:drawn"
    return page.locator("[data-chart]").count()
