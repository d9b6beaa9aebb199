"""In real Chromium: log in, read the overview chart, change a grid's status in place."""

import re

from playwright.sync_api import Page, expect

from tests.browser.drawing import wait_for_charts


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "parkgrid-demo")
    page.click("button[type=submit]")
    # Each role lands on its own home (tests/accounts/test_home.py pins which): here it is
    # enough that the login went through.
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_overview_draws_the_district_ranking_chart(page: Page, live_server: str):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "leader")
    expect(page.locator("[data-kpi=enterprises]")).to_have_text("1,227")
    # Plotly puts its SVG in place before it draws the bars: wait for app.js's word that
    # every chart is drawn, not for the SVG (that once counted the bars too early).
    wait_for_charts(page)
    expect(page.locator("[data-chart] svg.main-svg").first).to_be_visible()
    expect(page.locator("[data-chart]").first.locator(".bars .point")).to_have_count(8)
    assert errors == []  # no CSP violation or script error


def test_liaison_changes_status_without_a_reload_and_a_reload_shows_it(
    page: Page, live_server: str
):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "liaison_huaxia_1")
    page.locator("#my-grids h2 a").first.click()  # the liaison's own grid, from their home
    expect(page.locator("#grid-status")).to_be_visible()
    marker = page.evaluate("() => (window.__marker = Math.random())")

    page.check("input[name=status][value=red]")
    page.fill("textarea[name=note]", "浏览器测试：两家企业停工")
    page.click("#grid-status button[type=submit]")
    expect(page.locator("#grid-status .notice")).to_have_text("状态已保存。")
    # htmx swapped the panel in place: the page itself was not reloaded.
    assert page.evaluate("() => window.__marker") == marker
    expect(page.locator("#grid-status .current-status")).to_contain_text("红")

    page.reload()
    expect(page.locator("#grid-status .current-status")).to_contain_text("浏览器测试：两家企业停工")
    expect(page.locator("input[name=status][value=red]")).to_be_checked()
