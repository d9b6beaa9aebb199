"""In real Chromium on a 390 px phone: a liaison records a demand and moves it on, no reload."""

import re
import shutil

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, func, select

from app.gridwork.models import Demand

# The live server and Chromium's launch options are the browser suite's.

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Chromium is not installed (.ci/run installs it)"
)


def _no_sideways_scrolling(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_liaison_records_and_assigns_a_demand_on_a_phone(page: Page, live_server: str, live_engine):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "liaison_huaxia_1")
    page.fill("input[name=password]", "parkgrid-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/my")

    page.goto(f"{live_server}/demands")
    _no_sideways_scrolling(page)
    page.locator(".record-links a").first.click()
    expect(page.locator("#grid-demands form")).to_be_visible()
    _no_sideways_scrolling(page)
    marker = page.evaluate("() => (window.__marker = Math.random())")

    page.select_option("select[name=category]", "welfare")
    page.fill("textarea[name=summary]", "浏览器测试：食堂晚班不供应热饭")
    page.click("#grid-demands form button[type=submit]")
    expect(page.locator("#grid-demands .notice")).to_contain_text("诉求已登记")
    assert page.evaluate("() => window.__marker") == marker
    # Every demand of the grid, this one among them: other browser tests on this live
    # server may have recorded some in it too.
    grid_id = int(re.search(r"/grids/(\d+)", page.url).group(1))
    with Session(live_engine) as s:
        recorded = s.exec(select(func.count()).where(Demand.grid_id == grid_id)).one()
    expect(page.locator("[data-kpi=received]")).to_have_text(str(recorded))

    page.locator("#grid-demands .notice a").click()
    expect(page.locator("#demand [data-state]")).to_have_attribute("data-state", "received")
    _no_sideways_scrolling(page)
    button = page.locator("#demand form button[type=submit]")
    assert button.bounding_box()["height"] >= 44
    marker = page.evaluate("() => (window.__marker = Math.random())")
    page.fill("input[name=assignee]", "市场管理处 王科长")
    button.click()
    expect(page.locator("#demand [data-state]")).to_have_attribute("data-state", "assigned")
    assert page.evaluate("() => window.__marker") == marker
    assert errors == []  # no CSP violation or script error
    # An empty handling note is refused in place, naming the field.
    page.evaluate(
        "() => document.querySelector('textarea[name=handling_note]').removeAttribute('required')"
    )
    page.click("#demand form button[type=submit]")
    expect(page.locator("#err-handling_note")).to_contain_text("办理情况不能为空")
    _no_sideways_scrolling(page)
    page.screenshot(path="/tmp/demands-phone.png", full_page=True)
