"""On a phone: a liaison updates status, files a monthly report, acknowledges a notice and
closes a worker demand, without page reloads; a second browser racing on the grid gets 409."""

import re
from datetime import date

from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, select

from app.core.calendar import add_working_days
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.geo.models import Grid, Park
from app.gridwork.models import (
    Demand,
    DemandCategory,
    DemandChannel,
    DemandState,
    Notice,
    NoticeKind,
    NoticeTarget,
)

PHONE = {"width": 390, "height": 844}


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "parkgrid-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], page.url


def mark(page: Page) -> float:
    """A value that lives only as long as the page is not reloaded."""
    return page.evaluate("() => (window.__mark = Math.random())")


def test_a_liaison_works_their_grid_from_a_phone(browser: Browser, live_server: str, live_engine):
    with Session(live_engine) as s:
        park = s.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
        grid = s.exec(
            select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
        ).first()
        notice = Notice(
            kind=NoticeKind.notice,
            title="汛期安全检查",
            body="请各网格本周内完成自查。",
            sender_name="梁溪区产改办",
        )
        s.add(notice)
        s.flush()
        s.add(NoticeTarget(notice_id=notice.id, grid_id=grid.id))
        received = date(2026, 11, 2)
        demand = Demand(
            grid_id=grid.id,
            channel=DemandChannel.visit,
            category=DemandCategory.wages,
            summary="加班费核算有误",
            received_on=received,
            due_on=add_working_days(received, 10).day,
            state=DemandState.verified,
            assignee="王敏",
            handling_note="已协调补发",
            verification_note="回访满意",
        )
        s.add(demand)
        s.commit()
        grid_id, notice_id, demand_id = grid.id, notice.id, demand.id

    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    log_in(page, live_server, "liaison_huaxia_1")
    expect(page).to_have_url(f"{live_server}/my")
    no_sideways_scroll(page)

    # 1. Status, in place.
    page.locator("#my-grids h2 a").first.click()
    # The grid's page, loaded: measured and marked before it is, the old page would be.
    page.wait_for_url(re.compile(r"/grids/\d+"))
    page.wait_for_load_state()
    expect(page.locator("#grid-status")).to_be_visible()
    no_sideways_scroll(page)
    m = mark(page)
    page.check("input[name=status][value=amber]")
    page.fill("textarea[name=note]", "两家企业设备检修")
    page.click("#grid-status button[type=submit]")
    expect(page.locator("#grid-status .notice")).to_have_text("状态已保存。")
    assert page.evaluate("() => window.__mark") == m
    tap = page.locator("#grid-status button[type=submit]").bounding_box()
    assert tap["height"] >= 44

    # 2. This month's grid work report, submitted in place.
    month = utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m")
    page.goto(f"{live_server}/grids/{grid_id}/monthly/{month}")
    no_sideways_scroll(page)
    m = mark(page)
    for field, value in (
        ("guidance_sessions", "2"),
        ("guidance_attendance", "64"),
        ("training_sessions", "1"),
        ("training_person_times", "40"),
    ):
        page.fill(f"input[name={field}]", value)
    page.get_by_role("button", name="提交园区确认").click()
    expect(page.locator("#monthly-report")).to_contain_text("待园区确认")
    assert page.evaluate("() => window.__mark") == m

    # 3. A notice, acknowledged in place.
    page.goto(f"{live_server}/notices/{notice_id}")
    no_sideways_scroll(page)
    m = mark(page)
    page.get_by_role("button", name="确认收到").click()
    expect(page.get_by_role("button", name="确认收到")).to_have_count(0)
    assert page.evaluate("() => window.__mark") == m

    # 4. A verified worker demand, closed in place.
    page.goto(f"{live_server}/demands/{demand_id}")
    no_sideways_scroll(page)
    m = mark(page)
    page.locator("#demand form.demand-step button[type=submit]").click()
    expect(page.locator("#demand")).to_contain_text("已办结")
    assert page.evaluate("() => window.__mark") == m
    ctx.close()


def test_a_second_browser_racing_on_the_grid_gets_the_409_view(
    browser: Browser, live_server: str, live_engine
):
    with Session(live_engine) as s:
        park = s.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
        grid_id = s.exec(
            select(Grid.id).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
        ).first()
    pages = []
    for user in ("liaison_huaxia_1", "park_huaxia"):
        ctx = browser.new_context(viewport=PHONE)
        page = ctx.new_page()
        log_in(page, live_server, user)
        page.goto(f"{live_server}/grids/{grid_id}")
        pages.append(page)
    first, second = pages  # both loaded the same version of the status
    first.check("input[name=status][value=red]")
    first.fill("textarea[name=note]", "停工整顿")
    first.click("#grid-status button[type=submit]")
    expect(first.locator("#grid-status .notice")).to_be_visible()

    second.check("input[name=status][value=green]")
    second.click("#grid-status button[type=submit]")
    conflict = second.locator("[data-conflict]")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("停工整顿")
    no_sideways_scroll(second)
    # Saving again from the refreshed form goes through.
    second.click("#grid-status button[type=submit]")
    expect(second.locator("#grid-status .notice")).to_have_text("状态已保存。")
