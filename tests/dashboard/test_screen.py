"""The big screen: a dark page of its own whose figures refresh every minute in place."""

import re

import pytest
from sqlmodel import col, func, select

from app.assessment.results import service as assessment
from app.dashboard.city.charts import SCREEN_INK
from app.enterprises.models import Enterprise
from tests.helpers import charts, kpi, table_rows

FRAGMENT = {"HX-Request": "true", "HX-Target": "screen-figures"}


def _latest(session):
    return assessment.results(
        session=session, period=assessment.get_period(session=session, label=None)
    )


@pytest.mark.parametrize(
    "role", ["city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader"]
)
def test_every_role_may_put_the_screen_up(login, role):
    resp = login(role).get("/screen", follow_redirects=False)
    assert resp.status_code == 200
    assert kpi(resp.text, "parks") == "15"


def test_the_page_refreshes_its_figures_every_minute_without_a_menu(login):
    resp = login("leader").get("/screen")
    html = resp.text
    main = re.search(r'<main id="screen-figures"([^>]*)>', html).group(1)
    assert 'hx-trigger="every 60s"' in main
    assert re.search(r'hx-get="[^"]*/screen\?part=figures"', main)
    assert 'hx-swap="innerHTML"' in main
    # Its own dark layout: no top bar or menu, its own style sheet and script.
    assert 'class="topbar"' not in html and "<nav" not in html
    assert "/static/screen.css" in html and "/static/app.css" not in html
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["content-security-policy"]).group(1)
    for script in ("vendor/htmx.min.js", "plotly.min.js", "/static/app.js", "/static/screen.js"):
        tag = re.search(rf'<script src="[^"]*{re.escape(script)}"[^>]*>', html)
        assert tag and f'nonce="{nonce}"' in tag.group(0), script
    assert resp.headers["cache-control"] == "no-store"


def test_the_screen_shows_kpis_the_district_bar_the_trend_and_both_ends(login, session):
    res = _latest(session)
    html = login("leader").get("/screen").text
    enterprises = session.exec(select(func.count(col(Enterprise.id)))).one()
    assert kpi(html, "enterprises") == f"{enterprises:,}" == "1,227"
    assert kpi(html, "reports_on_time") == "80.0%"  # 12 of 2026Q3's 15 reports on time
    ranking, trend = charts(html)
    assert ranking["data"][0]["y"][::-1] == [d.district.name for d in res.districts]
    assert [t["name"] for t in trend["data"]] == [d.district.name for d in res.districts]
    assert len(trend["data"][0]["x"]) == 8
    # Static, dark, and with nothing to click.
    assert html.count('data-static="1"') == 2
    for figure in (ranking, trend):
        assert figure["layout"]["font"]["color"] == SCREEN_INK
        assert "height" not in figure["layout"]  # it fills the panel the display leaves it
        assert all("customdata" not in t for t in figure["data"])
    top = table_rows(html, "screen-top")
    bottom = table_rows(html, "screen-bottom")
    assert [r[0] for r in top] == ["1", "2", "3", "4", "5"]
    assert top[0][1].startswith(res.parks()[0].park.name)
    assert [r[0] for r in bottom] == ["11", "12", "13", "14", "15"]
    # The park with no data is last, flagged rather than hidden.
    assert bottom[-1][1].startswith(res.parks()[-1].park.name) and "未报送数据" in bottom[-1][1]
    assert re.fullmatch(r"\d\d:\d\d:\d\d", kpi(html, "refreshed"))


def test_the_refresh_answers_the_figures_alone_with_fresh_numbers(login, session):
    client = login("city_admin")
    before = client.get("/screen?part=figures", headers=FRAGMENT)
    assert before.status_code == 200
    assert "<html" not in before.text and "screen-figures" not in before.text
    assert len(charts(before.text)) == 2
    workers = int(kpi(before.text, "workers").replace(",", ""))

    # The roster changes between two refreshes: the next minute shows it.
    enterprise = session.exec(select(Enterprise).order_by(col(Enterprise.id))).first()
    enterprise.worker_count += 1000
    session.add(enterprise)
    session.flush()
    after = client.get("/screen?part=figures", headers=FRAGMENT).text
    assert kpi(after, "workers") == f"{workers + 1000:,}"


def test_the_refresh_url_opened_in_a_browser_is_the_whole_screen(login):
    html = login("leader").get("/screen?part=figures").text
    assert "<html" in html and 'hx-trigger="every 60s"' in html


def test_an_unknown_part_is_refused(login):
    assert login("leader").get("/screen?part=everything").status_code == 422


def test_the_overview_links_to_the_screen(login):
    html = login("leader").get("/").text
    assert re.search(r'<a[^>]*href="[^"]*/screen"[^>]*id="open-screen"', html)
