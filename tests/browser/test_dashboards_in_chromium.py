"""In real Chromium: every dashboard draws all its charts (SVG), a click on a district's bar
opens its parks below with the address following, and the park's print view prints to PDF.
A screenshot of each page is saved under the test output (test-results/)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.geo.models import Area, Park
from tests.browser.drawing import drawn_so_far, wait_for_charts
from tests.browser.test_pages_in_chromium import log_in

OUT = Path("test-results").absolute() / "dashboards"


@pytest.fixture(scope="module")
def places(live_engine) -> dict[str, int]:
    with Session(live_engine) as s:
        return {
            "liangxi": s.exec(select(Area.id).where(Area.name == "梁溪区")).one(),
            "huaxia": s.exec(select(Park.id).where(Park.name == "无锡华夏家居港")).one(),
        }


def _shot(page: Page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _errors(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


@pytest.mark.parametrize(
    ("name", "path", "at_least"),
    [
        ("city", "/", 4),
        ("district", "/districts/{liangxi}", 2),
        ("park", "/parks/{huaxia}", 5),
        ("screen", "/screen", 2),
    ],
)
def test_each_dashboard_draws_every_chart(page: Page, live_server, places, name, path, at_least):
    errors = _errors(page)
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server, "city_admin")
    page.goto(live_server + path.format(**places))
    drawn = wait_for_charts(page)
    assert drawn >= at_least, f"{name}: {drawn} charts"
    _shot(page, name)
    assert errors == []


def test_a_click_on_a_district_bar_opens_its_parks_below(page: Page, live_server, live_engine):
    errors = _errors(page)
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server, "leader")
    wait_for_charts(page)
    ranking = page.locator("[data-chart]").first
    bar = ranking.locator(".bars .point path").last  # drawn bottom-up: the last is the best
    box = bar.bounding_box()
    before = drawn_so_far(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(r"\?district=\d+"))
    district_id = int(page.url.split("district=")[1].split("&")[0])
    with Session(live_engine) as s:
        parks = s.exec(
            select(Park.name).where(Park.area_id == district_id).order_by(Park.name)
        ).all()
    detail = page.locator("#city-detail")
    for park in parks:
        expect(detail).to_contain_text(park)
    wait_for_charts(page, since=before)  # the district's own chart, drawn in the detail
    _shot(page, "city-district-drilled")
    # The address is shareable: opened afresh it shows the same parks.
    page.goto(page.url)
    expect(page.locator("#city-detail")).to_contain_text(parks[0])
    assert errors == []


def test_the_park_print_view_prints_to_pdf_with_its_charts(page: Page, live_server, places):
    log_in(page, live_server, "park_huaxia")
    page.goto(f"{live_server}/parks/{places['huaxia']}/print")
    drawn = wait_for_charts(page)
    assert drawn >= 2
    OUT.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(OUT / "park-report.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    _shot(page, "park-print")
