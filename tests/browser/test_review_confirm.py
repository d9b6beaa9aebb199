"""In real Chromium: the review's approve and return ask first, through app.js's
data-confirm handler (no inline script under the page's CSP); cancelling sends nothing."""

import re

from playwright.sync_api import Page, expect


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "parkgrid-demo")
    page.click("button[type=submit]")
    # Where an account lands is another page's business: only that it is signed in.
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_approve_and_return_ask_naming_the_park_and_the_period(page: Page, live_server: str):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, live_server, "district_liangxi")
    page.goto(f"{live_server}/reports?period=2026Q3")
    page.locator("#worklist a", has_text="无锡盛阳食品城").click()
    badge = page.locator(".page-head .badge")
    expect(badge).to_have_attribute("data-state", "submitted")

    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button.approve")
    expect(badge).to_have_attribute("data-state", "submitted")
    assert asked == ["确认通过 无锡盛阳食品城 2026年第3季度 的季度报告？"]

    # Accepted, a return with no note goes to the server, which still asks for the note.
    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("button.neutral")
    expect(page.locator("#err-comment")).to_contain_text("请说明需要园区修改的内容")
    assert asked[1] == "确认退回 无锡盛阳食品城 2026年第3季度 的季度报告，要求修改？"
    expect(badge).to_have_attribute("data-state", "submitted")
    # No CSP violation or script error; the browser logs the refused return's 422 itself.
    assert [e for e in errors if "status of 422" not in e] == []
