"""Vendored scripts (plotly.js, htmx) served pre-compressed and cached for a year.

plotly.js is 4.8 MB: a browser should fetch it once, as small as it can. `make setup` runs
this module to copy it from the installed plotly package into static/vendor/ beside htmx
and to write .br and .gz siblings of both; the URL carries plotly's version, so a new
version is a new URL and the year-long cache can never serve a stale copy.

    python -m app.core.assets
"""

import gzip
import shutil
from pathlib import Path

import plotly
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.core.config import ROOT

VENDOR = ROOT / "static" / "vendor"
PLOTLY_SOURCE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_URL = f"/static/vendor/plotly-{plotly.__version__}"
YEAR = 365 * 24 * 3600
DAY = 24 * 3600
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


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
    """Where plotly.js is served from: the prepared copy, or the package's own file."""
    return (
        VENDOR / "plotly"
        if (VENDOR / "plotly" / "plotly.min.js").is_file()
        else (PLOTLY_SOURCE.parent)
    )


def prepare() -> None:
    """Copies plotly.js into static/vendor/plotly and writes .br/.gz of the vendored scripts."""
    import brotli

    target = VENDOR / "plotly"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PLOTLY_SOURCE, target / "plotly.min.js")
    for script in (target / "plotly.min.js", VENDOR / "htmx.min.js"):
        if not script.is_file():
            continue
        data = script.read_bytes()
        Path(str(script) + ".br").write_bytes(brotli.compress(data, quality=11))
        Path(str(script) + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


if __name__ == "__main__":
    prepare()
