"""Vendored scripts (plotly.js, htmx) served pre-compressed and cached for a year.

plotly.js is ParkGrid's own partial bundle: `make setup` builds it from the npm registry's
plotly.js (pinned in tools/plotly) with only the trace types the charts draw, 1.1 MB
instead of the full 4.8 MB, into static/vendor/plotly/ beside the list of those types
(traces.json). Then this module writes .br and .gz siblings of it and of htmx. plotly.js's
URL carries the digest of the bundle, so a new build is a new URL and the year-long cache
can never serve a stale copy.

    python -m app.core.assets
"""

import gzip
import hashlib
import json
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.core.config import ROOT

VENDOR = ROOT / "static" / "vendor"
PLOTLY_DIR = VENDOR / "plotly"
# The bundle the pages load; the PDF print page loads the same file from disk.
PLOTLY_SOURCE = PLOTLY_DIR / "plotly.min.js"
# What the build says is in the bundle: {"plotly.js": version, "traces": [...], ...}.
PLOTLY_MANIFEST = PLOTLY_DIR / "traces.json"
YEAR = 365 * 24 * 3600
DAY = 24 * 3600
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def plotly_digest() -> str:
    """The first 12 hex digits of the bundle's SHA-256 ("unbuilt" before `make setup`)."""
    if not PLOTLY_SOURCE.is_file():
        return "unbuilt"
    return hashlib.sha256(PLOTLY_SOURCE.read_bytes()).hexdigest()[:12]


def plotly_manifest() -> dict:
    """The build's account of the bundle: plotly.js's version and the trace types it holds."""
    return json.loads(PLOTLY_MANIFEST.read_text(encoding="utf-8"))


PLOTLY_URL = f"/static/vendor/plotly-{plotly_digest()}"


class Precompressed(StaticFiles):
    """Static files that answer with a .br or .gz sibling when the browser accepts it."""

    def __init__(self, *, directory: Path, max_age: int = YEAR):
        super().__init__(directory=directory)
        self.max_age = max_age

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200 and isinstance(response, FileResponse):
            accepted = Headers(scope=scope).get("accept-encoding", "")
            for encoding, suffix in ENCODINGS:
                packed = Path(str(response.path) + suffix)
                if encoding in accepted and packed.is_file():
                    response = FileResponse(
                        packed,
                        media_type=response.media_type,
                        headers={"Content-Encoding": encoding},
                    )
                    break
        response.headers["Vary"] = "Accept-Encoding"
        immutable = ", immutable" if self.max_age >= YEAR else ""
        response.headers["Cache-Control"] = f"public, max-age={self.max_age}{immutable}"
        return response


def plotly_directory() -> Path:
    """Where plotly.js is served from: the bundle `make setup` built."""
    return PLOTLY_DIR


def prepare() -> None:
    """Writes .br/.gz siblings of the vendored scripts (the plotly.js bundle and htmx)."""
    import brotli

    for script in (PLOTLY_SOURCE, VENDOR / "htmx.min.js"):
        if not script.is_file():
            continue
        data = script.read_bytes()
        Path(str(script) + ".br").write_bytes(brotli.compress(data, quality=11))
        Path(str(script) + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


if __name__ == "__main__":
    prepare()
