"""The first-run tour `parkgrid demo` loads: every role finds its main task waiting.

Its own database, loaded as the command loads it (the suite's database is the demo without
the tour, so the eight scored quarters stay as the other tests pin them).
"""

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.accounts.service import DEMO_PASSWORD
from app.assessment.models import (
    Evidence,
    IndicatorValue,
    ParkReport,
    Period,
    ReportState,
    Score,
)
from app.assessment.results import service as assessment
from app.core import files
from app.core.config import Settings
from app.core.db import make_engine
from app.core.i18n import _
from app.demo import data
from app.demo.loader import load_demo
from app.geo.models import Area, AreaLevel, Grid, Park
from app.gridwork.models import Demand, DemandState
from app.main import create_app
from app.migrate import upgrade
from tests.helpers import log_in, table_rows


@pytest.fixture(scope="module")
def tour(tmp_path_factory) -> Iterator[tuple[Engine, Settings, FastAPI]]:
    folder = tmp_path_factory.mktemp("tour")
    url = f"sqlite:///{folder / 'tour.db'}"
    settings = Settings(database_url=url, evidence_dir=folder / "evidence")
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session=session, storage=files.storage_for(settings))
        session.commit()
    yield engine, settings, create_app(settings, engine=engine)
    engine.dispose()


@pytest.fixture
def session(tour) -> Iterator[Session]:
    # A test's own reads, never holding a transaction open while the app writes (logins).
    with Session(tour[0]) as s:
        yield s
        s.rollback()


@pytest.fixture
def login_as(tour):
    opened = []

    def open_as(username: str) -> TestClient:
        c = TestClient(tour[2])
        opened.append(c)
        log_in(c, username, DEMO_PASSWORD)
        return c

    yield open_as
    for c in opened:
        c.close()


def _park(session, name: str) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _q4(session) -> Period:
    return session.exec(select(Period).where(Period.year == 2026, Period.quarter == 4)).one()


def test_the_open_quarter_shows_its_deadline_and_every_report_state(session, login_as):
    q4 = _q4(session)
    assert q4.deadline == date(2027, 1, 14)  # ten working days after 1 January
    page = login_as("city_admin").get("/reports?period=2026Q4")
    assert page.status_code == 200
    assert "2026Q4" in page.text and "<strong>2027-01-14</strong>" in page.text
    states = {row[0]: row[2] for row in table_rows(page.text, "worklist")}
    assert len(states) == 15
    assert states["无锡华夏家居港"] == _("Draft")
    assert states["无锡盛阳食品城"].startswith(_("Submitted, awaiting review"))
    assert states["长三角新就业产业园"] == _("Returned for changes")
    stored = dict(
        session.exec(
            select(Park.name, ParkReport.state)
            .join(Park, col(Park.id) == col(ParkReport.park_id))
            .where(ParkReport.period_id == q4.id)
        ).all()
    )
    assert {p: s.value for p, s in stored.items()} == {
        "无锡华夏家居港": "draft",
        "无锡盛阳食品城": "submitted",
        "江阴高新区生物医药产业园": "submitted",
        "长三角新就业产业园": "returned",
        "无锡国家高新技术产业开发区": "draft",
    }  # the other ten parks have not started


def test_the_returned_report_carries_the_reviewers_note(session, login_as):
    park = _park(session, "长三角新就业产业园")
    page = login_as("park_xinjiuye").get(f"/parks/{park.id}/reports/2026Q4")
    assert page.status_code == 200
    assert data.OPEN_RETURN_COMMENT in page.text and data.OPEN_VALUE_COMMENT in page.text
    report = session.exec(
        select(ParkReport).where(
            ParkReport.park_id == park.id, ParkReport.period_id == _q4(session).id
        )
    ).one()
    assert report.reviewed_by == "district_binhu"


def test_the_liangxi_office_finds_a_report_to_review(session, login_as):
    office = login_as("district_liangxi")
    page = office.get("/reports?period=2026Q4")
    rows = {row[0]: row[2] for row in table_rows(page.text, "worklist")}
    assert set(rows) == {"无锡盛阳食品城", "无锡华夏家居港"}
    assert _("awaits your review") in rows["无锡盛阳食品城"]
    # Opened without a quarter, the worklist is the open quarter's, where that report
    # waits, not the latest reviewed quarter the dashboards show.
    plain = {row[0]: row[2] for row in table_rows(office.get("/reports").text, "worklist")}
    assert plain == rows


def test_evidence_is_listed_on_the_report_and_downloads(session, tour, login_as):
    park = _park(session, "无锡盛阳食品城")
    client = login_as("district_liangxi")
    page = client.get(f"/parks/{park.id}/reports/2026Q4")
    links = re.findall(r'<a href="[^"]*/evidence/(\d+)">([^<]+)</a>', page.text)
    assert [name for _, name in links] == ["第四季度职工技能培训签到表.pdf", "劳动竞赛获奖名单.pdf"]
    for evidence_id, _name in links:
        ev = session.get(Evidence, int(evidence_id))
        resp = client.get(f"/evidence/{evidence_id}")
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/pdf"
        stored = files.storage_for(tour[1]).path(ev.stored_name).read_bytes()
        assert resp.content == stored and resp.content.startswith(b"%PDF-1.4")
        assert resp.content.rstrip().endswith(b"%%EOF") and len(resp.content) == ev.size
    # Four files on three reports (the draft's photo is a real PNG).
    everything = session.exec(select(Evidence)).all()
    assert len(everything) == 4
    reports = {session.get(IndicatorValue, e.value_id).park_id for e in everything}
    assert len(reports) == 3
    photo = next(e for e in everything if e.filename.endswith(".png"))
    assert photo.content_type == "image/png"
    body = files.storage_for(tour[1]).path(photo.stored_name).read_bytes()
    assert body.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in body[-12:]


def test_leaders_keep_seeing_the_last_reviewed_quarter(session, tour, login_as):
    # Q4 has values (drafts, computed figures) but nothing approved yet.
    assert assessment.get_period(session=session, label=None).label == "2026Q3"
    page = login_as("leader").get("/rankings")
    assert page.status_code == 200 and 'value="2026Q3" selected' in page.text
    # Once a district approves a Q4 report, Q4 is the quarter shown (never committed).
    with Session(tour[0]) as s:
        report = s.exec(
            select(ParkReport).where(
                ParkReport.period_id == _q4(s).id, ParkReport.state == ReportState.submitted
            )
        ).first()
        report.state = ReportState.approved
        s.add(report)
        s.flush()
        assert assessment.get_period(session=s, label=None).label == "2026Q4"
        s.rollback()
        assert assessment.get_period(session=s, label=None).label == "2026Q3"


def test_the_open_quarter_moves_no_stored_score_of_the_scored_quarters(session, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    upgrade(engine)

    def figures(s: Session) -> list[tuple]:
        return list(
            s.exec(
                select(
                    Score.park_id,
                    Score.period_id,
                    Score.total,
                    Score.tier,
                    Score.rank_city,
                    Score.rank_district,
                )
                .join(Period, col(Period.id) == col(Score.period_id))
                .where(Period.year * 10 + Period.quarter < 20264)
                .order_by(col(Score.period_id), col(Score.park_id))
            ).all()
        )

    try:
        with Session(engine) as plain:
            load_demo(session=plain)
            plain.flush()
            assert figures(plain) == figures(session) and len(figures(plain)) == 8 * 15
    finally:
        engine.dispose()


def _liaison_grid(session) -> Grid:
    park = _park(session, "无锡华夏家居港")
    return session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()


def test_the_liaison_finds_a_notice_a_task_and_two_demands(session, login_as):
    grid = _liaison_grid(session)
    client = login_as("liaison_huaxia_1")
    my = client.get("/my").text
    assert _("{n} notices to acknowledge").format(n=2) in my
    assert _("{n} worker demands open").format(n=2) in my
    assert _("{n} overdue").format(n=1) in my

    notices = client.get("/notices").text
    assert "关于做好岁末年初职工走访慰问工作的通知" in notices
    assert "报送第四季度网格企业用工情况统计表" in notices and "2026-12-18" in notices

    demands = client.get(f"/grids/{grid.id}/demands").text
    assert "家具卖场一线导购反映周末加班费计算方式不清" in demands
    assert "仓储区叉车作业通道标识不清，存在安全隐患" in demands
    stored = session.exec(select(Demand).where(Demand.grid_id == grid.id)).all()
    assert {d.state for d in stored} == {DemandState.assigned, DemandState.received}
    late = next(d for d in stored if d.state is DemandState.assigned)
    # Ten working days from Monday 9 November 2026: the 23rd, long past.
    assert late.due_on == date(2026, 11, 23)


def test_an_office_for_every_district_and_an_account_for_every_park(session, tour):
    users = {u.username: u for u in session.exec(select(User))}
    districts = session.exec(select(Area).where(Area.level == AreaLevel.district)).all()
    offices = {u.display_name for u in users.values() if u.role is Role.district_office}
    assert offices == {f"{d.name}产改办" for d in districts} and len(offices) == 8
    assert {"city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader"} <= set(
        users
    )
    assert sum(u.role is Role.park_admin for u in users.values()) == 15
    liaisons = [u for u in users.values() if u.role is Role.grid_liaison]
    assert len(liaisons) == 15 and all(u.liaison_id for u in liaisons)
    assert len(users) == 40
    app = tour[2]
    for username in sorted(u for u in users if u.startswith("district_")):
        with TestClient(app) as c:
            log_in(c, username, DEMO_PASSWORD)
            assert c.get("/").status_code == 200, username


def test_the_tours_histories_read_at_the_times_its_reports_show(session, tour, login_as):
    # The services stamp the moment of loading; the tour fixes its reports' times, and its
    # histories name those same times, on the rows and in the changes.
    park = _park(session, "无锡盛阳食品城")
    page = login_as("district_liangxi").get(f"/parks/{park.id}/reports/2026Q4").text
    history = page[page.index('class="history"') :]
    times = set(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", history))
    # Its values saved on 11-30 and submitted on 12-01, at 10:00 Beijing time, as the page
    # above says.
    assert times == {"2026-11-30 10:00", "2026-12-01 10:00"}
