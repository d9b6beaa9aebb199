"""Each role's daily path in Chromium, on the demo with its first-run tour (issue 15, "Done
when"): the leader reads down from the city to one park's score, the district office
returns a report and approves it once the park sends it again, the park fills its open
2026 Q4 with evidence and submits it, the liaison works their grid from a phone. Every walk
meets no script or console error and no answer of 400 or more, and every change history it
passes reads in words, not as stored fields. Before them, each role's home page is saved,
on a desktop and on a phone, to test-results/ (the README shows three).

The walks have a server of their own: the shared `live` server loads the demo without the
tour (no open quarter, one account per role), and a walk changes what other browser tests
pin (the grid's monthly report, report states). Each walk works on things no other walk
touches, so any order passes.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, col, select

from app.core import files
from app.core.config import Settings
from app.core.db import make_engine
from app.demo.loader import load_demo
from app.geo.models import Area, Grid, Park
from app.migrate import upgrade
from tests.browser.drawing import WATCH_CHARTS, wait_for_charts
from tests.helpers import serving

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
RESULTS = Path(__file__).resolve().parents[2] / "test-results"

# What a history or the audit trail showed before it was put in words (issue 15.1): a
# field name with a colon, a stored column, an object as its class and id, an ISO stamp.
RAW_HISTORY = {
    "a stored field": re.compile(r"\bstate:"),
    "a stored column": re.compile(r"reviewed_at"),
    "an object as class and id": re.compile(r"\b[A-Z][A-Za-z]+ #\d+"),
    "an ISO timestamp": re.compile(r"\d{4}-\d\d-\d\dT\d\d:"),
}


@pytest.fixture(scope="module")
def tour(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The demo with its first-run tour (as `parkgrid demo` loads it, evidence files in the
    suite's evidence folder), served on loopback: (url, engine)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('walks') / 'walks.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        load_demo(session=s, storage=files.storage_for(Settings(database_url=url)))
        s.commit()
    engine.dispose()
    with serving(url, demo=False) as running:
        yield running


@pytest.fixture(scope="module")
def base(tour) -> str:
    return tour[0]


@pytest.fixture(scope="module")
def places(tour) -> dict[str, int]:
    with Session(tour[1]) as s:
        park = {p.name: p.id for p in s.exec(select(Park))}
        liangxi = s.exec(select(Area).where(Area.name == "梁溪区")).one()
        grid = s.exec(
            select(Grid)
            .where(Grid.park_id == park["无锡华夏家居港"])
            .order_by(col(Grid.sort_order))
        ).first()
        return {
            "huaxia": park["无锡华夏家居港"],
            "shengyang": park["无锡盛阳食品城"],
            "liangxi": liangxi.id,
            "grid": grid.id,
        }


class Watch:
    """What no walk may meet: a script error, an error on the console, an answer of 400 or
    more (none of these walks sends anything meant to be refused)."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.problems.append(f"script: {e}"))
        page.on(
            "response",
            lambda r: (
                self.problems.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 400
                else None
            ),
        )

    def clean(self) -> None:
        assert self.problems == []


def new_page(browser: Browser, viewport: dict, *, phone: bool = False) -> tuple[Page, Watch]:
    options = {"viewport": viewport, "locale": "zh-CN"}
    if phone:
        options |= {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
    ctx: BrowserContext = browser.new_context(**options)
    ctx.add_init_script(WATCH_CHARTS)
    page = ctx.new_page()
    return page, Watch(page)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "parkgrid-demo")
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def charts_drawn(page: Page) -> None:
    """Waits for the page's charts, if it has any (a page without one fires no event)."""
    if page.locator("[data-chart]").count():
        wait_for_charts(page)


def histories_in_words(page: Page) -> list[str]:
    """The text of every change history on the page (closed ones too), each checked to
    hold nothing of the stored rows; answers them for a test to read further."""
    texts = page.locator("details.history").all_text_contents()
    for text in texts:
        for what, pattern in RAW_HISTORY.items():
            found = pattern.search(text)
            assert found is None, f"{page.url}: history shows {what}: {found.group(0)!r}"
    return texts


def fits_phone(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width)


def heading(page: Page, text: str) -> None:
    expect(page.locator("h1").first).to_contain_text(text)


# ---- each role's home, saved (first: the walks below change what the homes show) ---------

HOMES = {
    "city": ("city_admin", "无锡市特色产业园区产改总览"),
    "leader": ("leader", "无锡市特色产业园区产改总览"),
    "district": ("district_liangxi", "梁溪区"),
    "park": ("park_huaxia", "无锡华夏家居港"),
    "liaison": ("liaison_huaxia_1", "我的网格"),
}


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_each_role_home_is_saved_as_a_screenshot(browser: Browser, base, screen):
    RESULTS.mkdir(exist_ok=True)
    for role, (username, title) in HOMES.items():
        page, watch = new_page(
            browser, DESKTOP if screen == "desktop" else PHONE, phone=screen == "phone"
        )
        log_in(page, base, username)
        heading(page, title)
        charts_drawn(page)
        if screen == "phone":
            fits_phone(page)
        shot = RESULTS / f"home-{role}-{screen}.png"
        page.screenshot(path=str(shot), type="png")
        assert shot.stat().st_size > 10_000, shot  # a drawn page, not a blank one
        watch.clean()
        page.context.close()


# ---- 1. the leader ----------------------------------------------------------------------


def test_leader_reads_from_the_city_down_to_a_park_score(browser: Browser, base, places):
    page, watch = new_page(browser, DESKTOP)
    log_in(page, base, "leader")
    expect(page).to_have_url(f"{base}/")
    heading(page, "无锡市特色产业园区产改总览")
    expect(page.locator("h2", has_text="各区排名")).to_be_visible()
    charts_drawn(page)

    page.locator("header nav a", has_text="排名").click()
    expect(page).to_have_url(re.compile(r"/rankings$"))
    heading(page, "园区产改排名")
    expect(page.locator("h2", has_text="各区排名")).to_be_visible()
    expect(page.locator("h2", has_text="园区排名")).to_be_visible()
    charts_drawn(page)
    huaxia_row = page.locator("#park-ranking tbody tr", has_text="无锡华夏家居港")
    score = huaxia_row.locator("td.score").inner_text().strip()
    assert re.fullmatch(r"\d+\.\d\d", score), score

    page.locator("table a", has_text="梁溪区").first.click()
    expect(page).to_have_url(f"{base}/districts/{places['liangxi']}")
    heading(page, "梁溪区")
    heading(page, "区产改办")
    expect(page.locator("h2", has_text="园区排名")).to_be_visible()
    expect(page.locator("h2", has_text="各园区指标完成情况")).to_be_visible()
    charts_drawn(page)
    histories_in_words(page)

    page.locator("table a", has_text="无锡华夏家居港").first.click()
    expect(page).to_have_url(re.compile(rf"/parks/{places['huaxia']}(\?|$)"))
    heading(page, "无锡华夏家居港")
    expect(page.locator("h2", has_text="网格")).to_be_visible()
    expect(page.locator("h2", has_text="职工诉求")).to_be_visible()
    charts_drawn(page)
    histories_in_words(page)

    page.locator("a", has_text="得分构成").first.click()
    expect(page).to_have_url(re.compile(rf"/parks/{places['huaxia']}/explain"))
    heading(page, "无锡华夏家居港")
    heading(page, "得分构成")
    expect(page.locator("#explain thead")).to_contain_text("指标")
    expect(page.locator("#explain tr[data-indicator]")).to_have_count(12)
    # The score the ranking showed is the one the explanation adds up to.
    expect(page.locator("#explain [data-total]")).to_have_text(score)
    histories_in_words(page)
    watch.clean()
    page.context.close()


# ---- 2. the district office --------------------------------------------------------------


def test_district_office_returns_a_report_and_approves_it_sent_again(
    browser: Browser, base, places
):
    page, watch = new_page(browser, DESKTOP)
    log_in(page, base, "district_liangxi")
    expect(page).to_have_url(f"{base}/districts/{places['liangxi']}")
    heading(page, "梁溪区")
    charts_drawn(page)

    page.locator("header nav a", has_text="季度报告").click()
    expect(page).to_have_url(re.compile(r"/reports"))
    heading(page, "季度报告")
    # The worklist opens on the last scored quarter; the notice above it leads to the open one.
    page.locator("#open-period a", has_text="2026年第4季度").click()
    expect(page).to_have_url(re.compile(r"/reports\?period=2026Q4$"))
    expect(page.locator("h1")).to_contain_text("2026Q4")
    # (The park walk may have sent 无锡华夏家居港's report too: the other park of 梁溪区.)
    waiting = page.locator("#worklist tbody tr", has_text="无锡盛阳食品城")
    expect(waiting).to_have_class(re.compile(r"\bwaiting\b"))
    expect(waiting).to_contain_text("已报送，待审核 待您审核")
    waiting.locator("a", has_text="无锡盛阳食品城").click()

    report_url = f"{base}/parks/{places['shengyang']}/reports/2026Q4"
    expect(page).to_have_url(report_url)
    badge = page.locator(".page-head .badge")
    expect(badge).to_have_attribute("data-state", "submitted")
    expect(badge).to_have_text("已报送，待审核")
    histories_in_words(page)

    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.fill("textarea[name=comment]", "请补充I03宣讲活动的签到表。")
    page.click("button.neutral")
    expect(badge).to_have_attribute("data-state", "returned")
    expect(badge).to_have_text("已退回修改")
    assert asked == ["确认退回 无锡盛阳食品城 2026年第4季度 的季度报告，要求修改？"]
    history = histories_in_words(page)
    assert any("已退回" in h for h in history), history

    # The park reads the note and sends the report again.
    park, park_watch = new_page(browser, DESKTOP)
    log_in(park, base, "park_shengyang")
    park.goto(report_url)
    expect(park.locator("p.alert")).to_contain_text("请补充I03宣讲活动的签到表。")
    park.get_by_role("button", name="报送审核").click()
    expect(park.locator(".page-head .badge")).to_have_attribute("data-state", "submitted")
    histories_in_words(park)
    park_watch.clean()
    park.context.close()

    page.goto(f"{base}/reports?period=2026Q4")
    page.locator("#worklist tr.waiting a", has_text="无锡盛阳食品城").click()
    expect(badge).to_have_attribute("data-state", "submitted")
    page.click("button.approve")
    expect(badge).to_have_attribute("data-state", "approved")
    expect(badge).to_have_text("已审核通过")
    assert asked[-1] == "确认通过 无锡盛阳食品城 2026年第4季度 的季度报告？"
    history = " ".join(histories_in_words(page))
    for step in ("已退回", "已审核通过"):
        assert step in history, history
    watch.clean()
    page.context.close()


# ---- 3. the park ----------------------------------------------------------------------


def pdf() -> bytes:
    """A one-page PDF, the smallest that is one (the upload checks the first bytes)."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return out


def test_park_fills_its_open_quarter_with_evidence_and_submits(browser: Browser, base, places):
    page, watch = new_page(browser, DESKTOP)
    log_in(page, base, "park_huaxia")
    expect(page).to_have_url(re.compile(rf"/parks/{places['huaxia']}(\?|$)"))
    heading(page, "无锡华夏家居港")
    due = page.locator("#park-due [data-due=report]")
    expect(due).to_contain_text("2026Q4")
    expect(due).to_contain_text("草稿")
    charts_drawn(page)
    due.locator("a").click()

    expect(page).to_have_url(f"{base}/parks/{places['huaxia']}/reports/2026Q4")
    badge = page.locator(".page-head .badge")
    expect(badge).to_have_attribute("data-state", "draft")
    # The demo's draft is half filled: the park fills the rest with its targets.
    empty = 0
    for row in page.locator("#report-values tbody tr").all():
        field = row.locator("input[name^=value_]")
        if field.count() and field.input_value() == "":
            target = row.locator("td.num").first.inner_text()
            field.fill(re.sub(r"[^\d.]", "", target))
            empty += 1
    assert empty > 0, "the demo's Q4 draft left nothing to fill"
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("p.notice[role=status]")).to_have_text("已保存。")
    assert (
        page.locator("#report-values input[name^=value_]").evaluate_all(
            "els => els.filter(e => e.value === '').length"
        )
        == 0
    )

    upload = page.locator("form.upload").first
    code = upload.locator("label").inner_text().split()[0]
    files_of = page.locator(f"#report-values tr[data-code={code}] [data-col=evidence]")
    had = int(files_of.locator("[data-evidence-count]").get_attribute("data-evidence-count"))
    upload.locator("input[type=file]").set_input_files(
        {"name": "签到表.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    )
    upload.get_by_role("button", name="上传").click()
    expect(files_of.locator("a", has_text="签到表.pdf")).to_be_visible()
    expect(files_of.locator("[data-evidence-count]")).to_have_text(f"{had + 1} 份")

    page.get_by_role("button", name="报送审核").click()
    expect(badge).to_have_attribute("data-state", "submitted")
    expect(badge).to_have_text("已报送，待审核")
    history = " ".join(histories_in_words(page))
    assert "状态：草稿 → 已报送，待审核" in history, history
    watch.clean()
    page.context.close()


# ---- 4. the liaison, on a phone -----------------------------------------------------------


def test_liaison_works_the_grid_from_a_phone(browser: Browser, base, places):
    page, watch = new_page(browser, PHONE, phone=True)
    log_in(page, base, "liaison_huaxia_1")
    expect(page).to_have_url(f"{base}/my")
    heading(page, "我的网格")
    card = page.locator(f"#my-grids [data-grid='{places['grid']}']")
    for item in ("monthly", "notices", "demands"):
        expect(card.locator(f"[data-due={item}]")).to_be_visible()
    fits_phone(page)

    # The grid's status.
    card.locator("h2 a").click()
    expect(page).to_have_url(f"{base}/grids/{places['grid']}")
    fits_phone(page)
    page.check("input[name=status][value=amber]")
    page.fill("textarea[name=note]", "两家企业设备检修，停产一周")
    page.click("#grid-status button[type=submit]")
    expect(page.locator("#grid-status .notice")).to_have_text("状态已保存。")
    expect(page.locator("#grid-status .current-status")).to_contain_text("黄")
    fits_phone(page)
    page.reload()
    history = " ".join(histories_in_words(page))
    assert "绿：正常推进 → 黄：需要关注" in history, history

    # The monthly report /my says is due.
    page.goto(f"{base}/my")
    fits_phone(page)
    monthly = card.locator("[data-due=monthly] a").first
    month = re.search(r"\d{4}-\d\d", monthly.inner_text()).group(0)
    monthly.click()
    expect(page).to_have_url(f"{base}/grids/{places['grid']}/monthly/{month}")
    fits_phone(page)
    for field, value in (
        ("guidance_sessions", "2"),
        ("guidance_attendance", "58"),
        ("training_sessions", "1"),
        ("training_person_times", "36"),
    ):
        page.fill(f"input[name={field}]", value)
    page.get_by_role("button", name="提交园区确认").click()
    expect(page.locator("#monthly-report")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#monthly-report .monthly-state")).to_contain_text("待园区确认")
    fits_phone(page)
    page.reload()
    history = " ".join(histories_in_words(page))
    assert "已提交，待园区确认" in history, history

    # A worker demand, one step on.
    page.goto(f"{base}/my")
    fits_phone(page)
    card.locator("[data-due=demands] a").click()
    fits_phone(page)
    open_card = page.locator("#demands li.demand-card:not(.demand-card-closed)").first
    open_card.locator("a.demand-summary").click()
    expect(page).to_have_url(re.compile(r"/demands/\d+$"))
    fits_phone(page)
    badge = page.locator("#demand .badge[data-state]")
    before, before_label = badge.get_attribute("data-state"), badge.inner_text()
    step = page.locator("#demand form.demand-step")
    for name, value in (
        ("assignee", "王敏"),
        ("handling_note", "已与企业人事沟通，补发加班费"),
        ("verification_note", "回访职工，表示满意"),
    ):
        if step.locator(f"[name={name}]").count():
            step.locator(f"[name={name}]").fill(value)
    step.locator("button[type=submit]").click()
    expect(page.locator("#demand .notice[role=status]")).to_contain_text("已保存")
    expect(badge).not_to_have_attribute("data-state", before)
    fits_phone(page)
    history = " ".join(histories_in_words(page))
    assert f"状态：{before_label} → {badge.inner_text()}" in history, history

    # The unread notice, acknowledged.
    page.goto(f"{base}/my")
    fits_phone(page)
    card.locator("[data-due=notices] a").click()
    fits_phone(page)
    page.locator("li.notice-item.unread a.notice-card").first.click()
    expect(page).to_have_url(re.compile(r"/notices/\d+$"))
    fits_phone(page)
    page.get_by_role("button", name="确认收到").click()
    expect(page.get_by_role("button", name="确认收到")).to_have_count(0)
    fits_phone(page)
    histories_in_words(page)
    watch.clean()
    page.context.close()
