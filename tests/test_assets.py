"""Pages go out compressed; plotly.js is ParkGrid's own partial bundle, pre-compressed and
cached for a year under its digest, and holds exactly the trace types the charts draw."""

import hashlib
import shutil

import brotli
import pytest
from sqlmodel import select

from app.core.assets import PLOTLY_SOURCE, PLOTLY_URL, plotly_manifest
from app.geo.models import Area, Park
from tests.helpers import charts

CHROMIUM = shutil.which("chromium")


def test_plotly_comes_brotli_compressed_and_cached_for_a_year(login):
    client = login("leader")
    page = client.get("/")
    url = f"{PLOTLY_URL}/plotly.min.js"
    assert url in page.text
    resp = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    assert resp.status_code == 200
    assert resp.headers["content-encoding"] == "br"
    assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
    # The partial bundle: a quarter of the full 4.8 MB plotly.js, 0.3 MB on the wire.
    packed = int(resp.headers["content-length"])
    assert packed < 400_000 and PLOTLY_SOURCE.stat().st_size < 1_200_000
    # httpx decodes the body only when brotli is there; either way it is the bundle itself,
    # and its URL names its digest, so a rebuilt bundle is a new URL.
    body = resp.content if resp.content.startswith(b"/**") else brotli.decompress(resp.content)
    assert body == PLOTLY_SOURCE.read_bytes()
    assert PLOTLY_URL.endswith("-" + hashlib.sha256(body).hexdigest()[:12])
    assert body.startswith(f"/** plotly.js v{plotly_manifest()['plotly.js']} ".encode())


def test_a_browser_without_brotli_gets_gzip(login):
    client = login("leader")
    resp = client.get(f"{PLOTLY_URL}/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert int(resp.headers["content-length"]) < 500_000


def _drawn_trace_types(client, session) -> set[str]:
    """Every trace type in the figures of the demo's dashboards, drill-downs and print view."""
    liangxi = session.exec(select(Area.id).where(Area.name == "梁溪区")).one()
    huaxia = session.exec(select(Park.id).where(Park.name == "无锡华夏家居港")).one()
    paths = [
        "/",
        f"/?district={liangxi}",
        f"/districts/{liangxi}",
        f"/parks/{huaxia}",
        f"/parks/{huaxia}/print",
        "/rankings",
        "/screen",
    ]
    types = set()
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, path
        figures = charts(resp.text)
        assert figures, path
        types |= {trace.get("type", "scatter") for f in figures for trace in f["data"]}
    return types


def test_the_bundle_holds_exactly_the_trace_types_the_charts_draw(login, session):
    drawn = _drawn_trace_types(login("city_admin"), session)
    assert {"bar", "funnel", "heatmap", "scatter", "scatterpolar"} <= drawn
    # A type drawn but not bundled would leave its chart empty; one bundled but never drawn
    # is weight every page pays for. Either way: change tools/plotly/index.js, `make setup`.
    assert set(plotly_manifest()["traces"]) == drawn


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_in_chromium_the_bundle_registers_those_trace_types(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    try:
        page = browser.new_page()
        page.set_content("<!doctype html><html><head></head><body></body></html>")
        page.add_script_tag(path=str(PLOTLY_SOURCE))
        version, traces = page.evaluate(
            "() => [Plotly.version, Object.keys(Plotly.PlotSchema.get().traces).sort()]"
        )
    finally:
        browser.close()
    manifest = plotly_manifest()
    assert version == manifest["plotly.js"]
    assert traces == manifest["traces"]


def test_pages_are_gzipped_and_say_how_long_the_server_took(login):
    resp = login("leader").get("/rankings", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.headers["server-timing"].startswith("app;dur=")
    assert "排名" in resp.text
