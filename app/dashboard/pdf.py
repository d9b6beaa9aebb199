"""Printing a rendered print page to PDF with headless Chromium, offline and without a session.

The page is written to a temporary directory with its stylesheets and scripts referenced
by file:// URL, so Chromium needs neither the network nor the reader's login: what it
prints is exactly the HTML the reader's scope produced. Nothing the user typed reaches a
shell; Chromium gets an argument list.
"""

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from app.core.assets import PLOTLY_SOURCE
from app.core.config import ROOT

# The same files the pages load from /static and /static/vendor/plotly.

STATIC = ROOT / "static"
ASSETS = {
    "app_css": STATIC / "app.css",
    "print_css": STATIC / "print.css",
    "plotly_js": PLOTLY_SOURCE,
    "app_js": STATIC / "app.js",
}
TIMEOUT_SECONDS = 60
# A Chromium run takes a core for a second or two: a few at a time, the rest wait their turn.
CONCURRENT_RUNS = threading.BoundedSemaphore(2)
# Enough virtual time for plotly.js to load and draw every chart before the print.
VIRTUAL_TIME_MS = 10000


class PdfUnavailable(Exception):
    """No Chromium at the configured path: the reader can still print from the browser."""


class PdfFailed(Exception):
    """Chromium ran but produced no PDF (it crashed or ran out of time)."""


def asset_urls() -> dict[str, str]:
    """The print page's assets as file:// URLs, for a page Chromium opens from disk."""
    return {name: path.as_uri() for name, path in ASSETS.items()}


def available(chromium: str) -> bool:
    """Whether the Chromium binary exists and may be run."""
    path = Path(chromium)
    return path.is_file() and os.access(path, os.X_OK)


def render(html: str, *, chromium: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF of a complete HTML page, printed by headless Chromium (A4 from the page's CSS)."""
    if not available(chromium):
        raise PdfUnavailable(chromium)
    if not CONCURRENT_RUNS.acquire(timeout=timeout):
        raise PdfFailed(f"no free Chromium run within {timeout:.0f} s")
    try:
        return _print(html, chromium=chromium, timeout=timeout)
    finally:
        CONCURRENT_RUNS.release()


def _print(html: str, *, chromium: str, timeout: float) -> bytes:
    # Removed afterwards with the profile and the page, even if Chromium left files behind.
    with tempfile.TemporaryDirectory(prefix="parkgrid-pdf-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        page, out = work / "report.html", work / "report.pdf"
        page.write_text(html, encoding="utf-8")
        args = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            # A profile of its own per run: two reports printed at once do not share one.
            f"--user-data-dir={work / 'profile'}",
            f"--print-to-pdf={out}",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={VIRTUAL_TIME_MS}",
            page.as_uri(),
        ]
        # Its own process group, so a run out of time is ended with every child it started.
        proc = subprocess.Popen(
            args,
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "HOME": str(work)},
        )
        try:
            _out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Not reaped yet, so the group id is still this run's: no other process can hold it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            # wait, not communicate: a helper outside the group could hold stderr open.
            proc.wait()
            if proc.stderr:
                proc.stderr.close()
            raise PdfFailed(f"chromium ran longer than {timeout:.0f} s") from None
        if not out.is_file() or out.stat().st_size == 0:
            tail = (err or b"").decode("utf-8", "replace")[-500:]
            raise PdfFailed(f"chromium exited with {proc.returncode} and no PDF: {tail}")
        return out.read_bytes()
