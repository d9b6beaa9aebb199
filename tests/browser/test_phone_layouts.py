"""At 390×844 in Chromium, the pages a liaison or a leader opens fit the phone: nothing is
wider than the screen (a table that must scroll does so inside its own wrapper), the first
ranking row shows rank, name, score and tier, charts fit with their labels, the grid's
status choices sit beside their labels in their colours, large enough to tap."""

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, select

from app.geo.models import Area, Grid, Park
from tests.browser.drawing import WATCH_CHARTS, wait_for_charts
from tests.browser.test_liaison_phone import PHONE, log_in

# Every visible element's right edge, except inside an element that scrolls (or clips)
# sideways itself: those are measured as a whole instead. Answers the offenders.
TOO_WIDE = """
(width) => {
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === "auto" || x === "scroll" || x === "hidden") return true;
    }
    return false;
  };
  const name = (el) => {
    const cls = typeof el.className === "string" ? el.className.trim() : "";
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (cls ? "." + cls.split(/\\s+/).join(".") : "");
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    // Wholly left of the page (Plotly's text-measuring svg at -10000 px) scrolls nothing.
    if (r.width === 0 || r.height === 0 || r.right <= 0 || clipped(el)) continue;
    if (r.right > width + 0.5 || r.left < -0.5)
      out.push(name(el) + " " + Math.round(r.left) + "…" + Math.round(r.right));
  }
  return { scrollWidth: document.documentElement.scrollWidth, offenders: out.slice(0, 12) };
}
"""

# Text a chart draws (tick labels, bar labels) that sticks out of the chart's own box.
CHART_TEXT_OUTSIDE = """
() => {
  const out = [];
  for (const fig of document.querySelectorAll("[data-chart]")) {
    const box = fig.getBoundingClientRect();
    for (const t of fig.querySelectorAll("svg text")) {
      const r = t.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1)
        out.push((fig.id || fig.getAttribute("aria-label")) + ": " + t.textContent);
    }
  }
  return out;
}
"""


def fits(page: Page) -> None:
    found = page.evaluate(TOO_WIDE, PHONE["width"])
    assert found["scrollWidth"] <= PHONE["width"], (page.url, found)
    assert found["offenders"] == [], (page.url, found)


def shown_within_screen(page: Page, selector: str) -> None:
    el = page.locator(selector)
    expect(el).to_be_visible()
    box = el.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (selector, box)


@pytest.fixture
def phone(browser: Browser, live_server: str):
    """A phone signed in as a user: a browser context of its own per user (one session
    cookie each), counting its charts:drawn events."""
    contexts: list = []
    pages: dict[str, Page] = {}

    def as_user(username: str) -> Page:
        if username not in pages:
            ctx = browser.new_context(viewport=PHONE)
            ctx.add_init_script(WATCH_CHARTS)
            contexts.append(ctx)
            page = ctx.new_page()
            log_in(page, live_server, username)
            pages[username] = page
        return pages[username]

    yield as_user
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="module")
def places(live_engine) -> dict[str, int]:
    with Session(live_engine) as s:
        park = s.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
        grid = s.exec(
            select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
        ).first()
        liangxi = s.exec(select(Area).where(Area.name == "梁溪区")).one()
        return {"park": park.id, "grid": grid.id, "district": liangxi.id}


def test_rankings_fit_and_the_first_row_shows_rank_name_score_and_tier(phone, live_server):
    page = phone("leader")
    page.goto(f"{live_server}/rankings")
    wait_for_charts(page)
    fits(page)
    first = "#park-ranking tbody tr:first-child"
    for cell in ("td.rank", "td.name", "td.score", "td.tier .badge"):
        shown_within_screen(page, f"{first} {cell}")
    expect(page.locator(f"{first} td.rank")).to_have_text("1")
    # A park's name reads on a line or two, not two characters a line.
    name = page.locator(f"{first} td.name a").bounding_box()
    assert name["width"] >= 100, name
    # The secondary columns are hidden, not squeezed.
    expect(page.locator(f"{first} td.secondary").first).to_be_hidden()
    assert page.evaluate(CHART_TEXT_OUTSIDE) == []
    # Sorting by name from its header keeps the page fitting the phone.
    page.locator("#park-ranking thead a", has_text="园区").click()
    expect(page.locator('#park-ranking th[aria-sort="ascending"]')).to_have_text("园区")
    fits(page)


def test_a_park_page_fits_with_its_charts(phone, live_server, places):
    page = phone("leader")
    page.goto(f"{live_server}/parks/{places['park']}")
    assert wait_for_charts(page) >= 1
    fits(page)
    assert page.evaluate(CHART_TEXT_OUTSIDE) == []
    for chart in page.locator("[data-chart] svg.main-svg").all()[:1]:
        assert chart.bounding_box()["width"] <= PHONE["width"]


def test_the_grid_roster_fits(phone, live_server, places):
    page = phone("liaison_huaxia_1")
    page.goto(f"{live_server}/grids/{places['grid']}/roster")
    expect(page.locator("#roster-cards li").first).to_be_visible()
    fits(page)


def test_my_grids_and_the_status_choices_fit_and_can_be_tapped(phone, live_server, places):
    page = phone("liaison_huaxia_1")
    page.goto(f"{live_server}/my")
    fits(page)
    page.goto(f"{live_server}/grids/{places['grid']}")
    fits(page)
    colours = {}
    for value in ("green", "amber", "red"):
        choice = page.locator(f"#grid-status label.choice.status-{value}")
        radio = choice.locator("input[type=radio]").bounding_box()
        box = choice.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (value, box)
        # The radio sits beside its label, not above it.
        assert radio["y"] >= box["y"] and radio["y"] + radio["height"] <= box["y"] + box["height"]
        label_text = choice.evaluate(
            "el => { const r = document.createRange(); r.selectNodeContents(el);"
            " const b = [...r.getClientRects()].pop(); return {x: b.x, y: b.y, h: b.height}; }"
        )
        assert label_text["x"] > radio["x"] + radio["width"] - 1, (value, label_text, radio)
        colours[value] = choice.evaluate("el => getComputedStyle(el).borderLeftColor")
    # Green, amber and red are three colours, none of them the plain line grey.
    assert len(set(colours.values())) == 3, colours


def test_the_district_page_and_the_user_list_fit(phone, live_server, places):
    page = phone("leader")
    page.goto(f"{live_server}/districts/{places['district']}")
    wait_for_charts(page)
    fits(page)
    assert page.evaluate(CHART_TEXT_OUTSIDE) == []
    admin = phone("city_admin")
    admin.goto(f"{live_server}/admin/users")
    fits(admin)
    admin.fill("#user-q", "huaxia")
    expect(admin.locator("#users tbody tr")).to_have_count(2)
    fits(admin)


def test_a_district_table_sorts_in_the_browser_by_keyboard_and_click(phone, live_server, places):
    page = phone("leader")
    page.goto(f"{live_server}/districts/{places['district']}")
    wait_for_charts(page)
    table = page.locator("#park-ranking")
    names = table.locator("tbody tr td:nth-child(2) a")
    # The server's order is best first: 华夏 (98.29) above 盛阳 (82.81).
    expect(names).to_have_text(["无锡华夏家居港", "无锡盛阳食品城"])
    score = table.locator("thead th", has_text="得分")
    expect(score).to_have_attribute("aria-sort", "none")
    score.locator("button.sort").focus()
    page.keyboard.press("Enter")
    expect(score).to_have_attribute("aria-sort", "ascending")
    expect(names).to_have_text(["无锡盛阳食品城", "无锡华夏家居港"])
    score.locator("button.sort").click()
    expect(score).to_have_attribute("aria-sort", "descending")
    expect(names).to_have_text(["无锡华夏家居港", "无锡盛阳食品城"])
    # The drill-down column has no sort button.
    expect(table.locator("thead th[data-nosort] button")).to_have_count(0)
