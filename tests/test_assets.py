"""Pages go out compressed and plotly.js pre-compressed, cached for a year under its version."""

import brotli
import plotly

from app.core.assets import PLOTLY_SOURCE


def test_plotly_comes_brotli_compressed_and_cached_for_a_year(login):
    client = login("leader")
    page = client.get("/")
    url = f"/static/vendor/plotly-{plotly.__version__}/plotly.min.js"
    assert url in page.text
    resp = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    assert resp.status_code == 200
    assert resp.headers["content-encoding"] == "br"
    assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
    packed = int(resp.headers["content-length"])
    # Under a quarter of the 4.8 MB script: the first page load stays under 1.5 MB.
    assert packed < 1_200_000 < PLOTLY_SOURCE.stat().st_size / 4
    # httpx decodes the body only when brotli is there; either way it is the script itself.
    body = resp.content if resp.content.startswith(b"/**") else brotli.decompress(resp.content)
    assert body == PLOTLY_SOURCE.read_bytes()


def test_a_browser_without_brotli_gets_gzip(login):
    client = login("leader")
    url = f"/static/vendor/plotly-{plotly.__version__}/plotly.min.js"
    resp = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert int(resp.headers["content-length"]) < 1_500_000


def test_pages_are_gzipped_and_say_how_long_the_server_took(login):
    resp = login("leader").get("/rankings", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.headers["server-timing"].startswith("app;dur=")
    assert "排名" in resp.text
