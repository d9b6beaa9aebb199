"""The printed quarterly reports of a park and a district (A4 pages), and their PDF, which
headless Chromium prints from the page written to disk with its assets.

Expected figures are recomputed here from the demo's tables, not from the page's services.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import time
import unicodedata
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlmodel import col, select

from app.assessment.models import ParkReport
from app.assessment.results import service as assessment
from app.assessment.results.scores import is_late
from app.core.numbers import amount
from app.dashboard import pdf
from app.framework.models import Aspect
from app.geo import service as geo
from app.geo.models import Area, Grid, Park
from tests.helpers import kpi, table_rows

HUAXIA = "无锡华夏家居港"
CHROMIUM = "/usr/bin/chromium"
# The PDF is printed by headless Chromium and read back by poppler's pdftotext (a partial
# reader of our own missed the text Chromium draws in charts); CI installs both.
needs_chromium = pytest.mark.skipif(
    not (pdf.available(CHROMIUM) and shutil.which("pdftotext")),
    reason=f"needs Chromium at {CHROMIUM} to print and pdftotext to read (CI installs both)",
)


@pytest.fixture
def client(login):
    return login("city_admin")


def _park(session, name: str = HUAXIA) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _area(session, name: str) -> Area:
    return session.exec(select(Area).where(Area.name == name)).one()


def _results(session, label: str | None = None):
    return assessment.results(
        session=session, period=assessment.get_period(session=session, label=label)
    )


def figures(html: str) -> dict[str, tuple[str, dict]]:
    """Every embedded figure by its id: (the <figure> tag, the Plotly figure)."""
    return {
        m.group(2): (m.group(1), json.loads(unescape(m.group(3))))
        for m in re.finditer(
            r'(<figure[^>]*id="([^"]+)"[^>]*>)\s*<script type="application/json">(.*?)</script>',
            html,
            re.S,
        )
    }


# ---- the park's print page -------------------------------------------------------------


def test_park_print_page_is_the_quarterly_report_without_the_sites_chrome(client, session):
    park = _park(session)
    res = _results(session)
    pr = res.park(park.id)
    resp = client.get(f"/parks/{park.id}/print")
    assert resp.status_code == 200
    html = resp.text
    assert 'class="topbar"' not in html and "<nav>" not in html  # no site navigation
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert HUAXIA in title and res.period.label in title and "季度产改工作报告" in title
    assert kpi(html, "period") == f"{res.period.year}年第{res.period.quarter}季度（累计）"
    assert kpi(html, "score") == f"{pr.total:.2f}"
    assert kpi(html, "rank-city") == f"{pr.rank_city} / 15"
    district_size = len(res.district(pr.district.id).parks)
    assert kpi(html, "rank-district") == f"{pr.rank_district} / {district_size}"
    assert pr.tier.name in html
    # The indicator table: value, target, completion and points, adding up to the score.
    rows = table_rows(html, "indicators")
    assert len(rows) == 12
    assert sum(float(r[4].split("/")[0]) for r in rows) == pytest.approx(pr.total, abs=0.01)
    first = res.indicators[0]
    assert rows[0][0] == f"{first.code} {first.name}"
    assert rows[0][2] == amount(first.target, first.unit) == "100%"
    grids = session.exec(
        select(Grid.name).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).all()
    assert [r[0] for r in table_rows(html, "grids")] == list(grids)
    assert table_rows(html, "demand-stages") == [["0"] * 5]


def test_the_print_page_draws_every_figure_once_at_paper_width(client, session):
    html = client.get(f"/parks/{_park(session).id}/print").text
    found = figures(html)
    assert set(found) == {"park-progress", "park-radar", "park-trend", "park-tiles", "park-funnel"}
    for fid, (tag, fig) in found.items():
        # Static (no hover, no zoom) and 680 px wide: the A4 column less its margins.
        assert 'data-static="1"' in tag and "data-drill" not in tag, fid
        assert fig["layout"]["width"] == 680 and fig["layout"]["autosize"] is False, fid
        assert all("customdata" not in trace for trace in fig["data"]), fid


def test_the_print_page_has_a_print_button_hidden_on_paper(client, session):
    park = _park(session)
    resp = client.get(f"/parks/{park.id}/print?period=2025Q4")
    html = resp.text
    assert re.search(
        r'<nav class="print-bar">\s*<button type="button" data-print>打印</button>', html
    )
    assert f'href="http://testserver/parks/{park.id}/report.pdf?period=2025Q4"' in html
    # Its one inline script carries the page's nonce: the policy allows it and nothing else.
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["content-security-policy"]).group(1)
    inline = re.findall(r"<script(?![^>]*\b(?:src|type)=)[^>]*>", html)
    assert inline == [f'<script nonce="{nonce}">']
    assert "onclick" not in html
    css = client.get("/static/print.css").text
    assert "@page { size: A4 portrait;" in css
    assert re.search(r"@media print \{\s*\.print-bar \{ display: none; \}", css)


def test_the_print_page_shows_the_period_asked_for(client, session):
    park = _park(session)
    pr = _results(session, "2025Q4").park(park.id)
    html = client.get(f"/parks/{park.id}/print?period=2025Q4").text
    assert kpi(html, "period") == "2025年第4季度（累计）"
    assert kpi(html, "score") == f"{pr.total:.2f}"
    assert client.get(f"/parks/{park.id}/print?period=2031Q1").status_code == 404


def test_print_pages_stay_in_scope(login, session):
    office = login("district_liangxi")
    huishan_park = _park(session, "无锡惠山高新技术产业创业服务中心")
    huishan = _area(session, "惠山区")
    for url in (
        f"/parks/{huishan_park.id}/print",
        f"/parks/{huishan_park.id}/report.pdf",
        f"/districts/{huishan.id}/print",
        f"/districts/{huishan.id}/report.pdf",
    ):
        assert office.get(url).status_code == 404, url


# ---- the district's print page ---------------------------------------------------------


def test_district_print_page_ranks_its_parks_with_scorecard_and_completeness(client, session):
    liangxi = _area(session, "梁溪区")
    res = _results(session)
    dres = res.district(liangxi.id)
    html = client.get(f"/districts/{liangxi.id}/print").text
    assert "<nav>" not in html and "梁溪区" in re.search(r"<title>(.*?)</title>", html).group(1)
    assert kpi(html, "score") == f"{dres.score:.2f}"
    assert kpi(html, "rank") == f"{dres.rank} / 8"
    ranking = table_rows(html, "park-ranking")
    assert [r[1] for r in ranking] == [p.park.name for p in dres.parks]
    assert [r[3] for r in ranking] == [f"{p.total:.2f}" for p in dres.parks]
    card = table_rows(html, "scorecard")
    assert [r[0] for r in card] == [p.park.name for p in dres.parks]
    assert all(len(r) == 1 + 12 for r in card)
    ((tag, bars),) = figures(html).values()
    assert 'data-static="1"' in tag and bars["layout"]["width"] == 680
    assert bars["data"][0]["y"] == [p.park.name for p in dres.parks][::-1]

    # Completeness of the quarter's reports, the district's and the city's, from the reports.
    period = res.period
    reports = session.exec(select(ParkReport).where(ParkReport.period_id == period.id)).all()
    district_of = geo.district_of(session=session)

    def expected(park_ids):
        submitted = [r for r in reports if r.park_id in park_ids and r.first_submitted_at]
        on_time = [r for r in submitted if not is_late(r, period.deadline)]
        return [str(len(park_ids)), str(len(submitted)), str(len(on_time))]

    mine = {pid for pid, d in district_of.items() if d.id == liangxi.id}
    rows = table_rows(html, "completeness")
    assert rows[0][0] == "梁溪区" and rows[0][1:4] == expected(mine)
    assert rows[1][0] == "全市" and rows[1][1:4] == expected(set(district_of))
    assert rows[0][1:4] == ["2", "2", "2"]  # both 梁溪 parks submitted on time (demo)


def test_a_district_without_results_for_a_period_says_so(client, session):
    liangxi = _area(session, "梁溪区")
    assert client.get(f"/districts/{liangxi.id}/print?period=2031Q1").status_code == 404
    city = session.exec(select(Area).where(Area.level == "city")).first()
    assert client.get(f"/districts/{city.id}/print").status_code == 404


# ---- the PDF ---------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text of a PDF, by pdftotext. NFKC: the CJK fonts map some characters to their
    Kangxi radical look-alikes."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return unicodedata.normalize("NFKC", out.stdout.decode("utf-8"))


def shows(text: str, words: str) -> bool:
    """Whether the PDF text shows these words, any character of which may come out as the
    radical the font shares its glyph with (U+2E80–U+2FDF, e.g. ⻝ for 食)."""
    pattern = "".join(
        f"(?:{re.escape(c)}|[\u2e80-\u2fdf])" if "\u4e00" <= c <= "\u9fff" else re.escape(c)
        for c in words
    )
    return re.search(pattern, text) is not None


@needs_chromium
def test_the_park_pdf_is_the_print_page_with_its_charts(client, session):
    park = _park(session)
    res = _results(session)
    resp = client.get(f"/parks/{park.id}/report.pdf")
    assert resp.status_code == 200, resp.text[:500]
    assert resp.headers["content-type"] == "application/pdf"
    disposition = resp.headers["content-disposition"]
    assert f'filename="park-{park.id}-{res.period.label}.pdf"' in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == f"{HUAXIA}{res.period.label}季度报告.pdf"
    body = resp.content
    assert body.startswith(b"%PDF-") and len(body) > 20_000
    text = pdf_text(body)
    assert shows(text, HUAXIA) and f"{res.park(park.id).total:.2f}" in text
    # Text that only the charts draw: the radar's aspects and the trend's quarters...
    aspects = session.exec(
        select(Aspect.name).where(Aspect.framework_id == res.period.framework_id)
    ).all()
    assert len(aspects) == 9 and all(shows(text, a) for a in aspects), aspects
    assert "2024Q4" in text and "2026Q3" in text
    # ...and the tiles repeat each grid's name beside the grid table.
    assert len(re.findall("A区网格", text)) >= 2


@needs_chromium
def test_the_district_pdf(client, session):
    liangxi = _area(session, "梁溪区")
    resp = client.get(f"/districts/{liangxi.id}/report.pdf?period=2025Q4")
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF-")
    text = pdf_text(resp.content)
    assert all(shows(text, w) for w in ("梁溪区", "无锡盛阳食品城", "2025年第4季度"))


def test_without_chromium_the_pdf_is_503_pointing_to_the_print_view(app, client, session):
    app.state.settings = app.state.settings.model_copy(
        update={"chromium_path": "/nonexistent/chromium"}
    )
    resp = client.get(f"/parks/{_park(session).id}/report.pdf")
    assert resp.status_code == 503
    assert "打印版" in resp.text and "另存为 PDF" in resp.text


def _fake_chromium(tmp_path: Path, script: str) -> str:
    path = tmp_path / "chromium"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_chromium_prints_the_page_from_disk_with_an_argument_list(
    app, client, session, tmp_path, monkeypatch
):
    # A stand-in Chromium that keeps its arguments and the page it was given, and prints.
    seen = tmp_path / "seen"
    seen.mkdir()
    monkeypatch.setenv("FAKE_SEEN", str(seen))
    fake = _fake_chromium(
        tmp_path,
        'printf "%s\\n" "$@" > "$FAKE_SEEN/args"\n'
        'for a in "$@"; do case "$a" in\n'
        '  --print-to-pdf=*) printf "%%PDF-1.4 fake" > "${a#--print-to-pdf=}";;\n'
        '  file://*) cp "${a#file://}" "$FAKE_SEEN/page.html";;\n'
        "esac; done\n",
    )
    app.state.settings = app.state.settings.model_copy(update={"chromium_path": fake})
    park = _park(session)
    resp = client.get(f"/parks/{park.id}/report.pdf?period=2025Q4")
    assert resp.status_code == 200 and resp.content == b"%PDF-1.4 fake"

    args = (seen / "args").read_text().splitlines()
    work = Path(args[-1].removeprefix("file://")).parent
    assert args[-1] == f"file://{work}/report.html"
    assert {"--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"} <= set(args)
    assert f"--print-to-pdf={work}/report.pdf" in args
    assert "--virtual-time-budget=10000" in args
    assert f"--user-data-dir={work}/profile" in args
    assert not work.exists()  # the temporary directory is gone

    # The page needs no session and no network: every asset is a file on disk, no CSP.
    page = (seen / "page.html").read_text()
    assets = re.findall(r'(?:href|src)="(file://[^"]+)"', page)
    assert len(assets) == 4 and all(Path(a.removeprefix("file://")).is_file() for a in assets)
    assert any(a.endswith("/plotly.min.js") for a in assets)
    assert "http://testserver/static" not in page
    assert 'class="print-bar"' not in page and "data-print" not in page
    assert kpi(page, "period") == "2025年第4季度（累计）"
    assert len(figures(page)) == 5


def test_a_chromium_that_fails_gives_503(app, client, session, tmp_path):
    fake = _fake_chromium(tmp_path, "echo crashed >&2\nexit 3\n")
    app.state.settings = app.state.settings.model_copy(update={"chromium_path": fake})
    liangxi = _area(session, "梁溪区")
    resp = client.get(f"/districts/{liangxi.id}/report.pdf")
    assert resp.status_code == 503 and "本次未能生成 PDF" in resp.text


def test_a_chromium_that_hangs_is_ended_with_its_children(tmp_path):
    pids = tmp_path / "pids"
    fake = _fake_chromium(tmp_path, f'sleep 30 &\necho $$ $! > "{pids}"\nwait\n')
    started = time.monotonic()
    with pytest.raises(pdf.PdfFailed, match="longer than 1 s"):
        pdf.render("<p>x</p>", chromium=fake, timeout=1)
    assert time.monotonic() - started < 10
    # The launcher and the child it started are gone (an orphan may take a moment to reap).
    deadline = time.monotonic() + 5
    alive = set(map(int, pids.read_text().split()))
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                alive.discard(pid)
        time.sleep(0.05)
    assert not alive
