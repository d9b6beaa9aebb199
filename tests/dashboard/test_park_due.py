"""The park page says what is due (issue 15, item 2): this quarter's report, grid reports to
confirm, notices and tasks not yet dealt with, demands past due; "nothing due" when so.

Expected figures are counted here from the demo's tables, not from the page's service.
"""

import re
from datetime import date, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from sqlmodel import col, func, select

from app.assessment.models import REPORT_STATE_LABELS, ParkReport, Period, ReportState
from app.core.i18n import gettext
from app.dashboard.park import service as park_service
from app.geo.models import Grid, Park
from app.gridwork.models import (
    Demand,
    DemandState,
    MonthlyReport,
    MonthlyState,
    Notice,
    NoticeKind,
    NoticeTarget,
)

HUAXIA = "无锡华夏家居港"
HUISHAN = "无锡惠山高新技术产业创业服务中心"
HX = {"HX-Request": "true"}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _panel(html: str) -> str | None:
    m = re.search(r'<section class="panel park-due".*?</section>', html, re.S)
    return m.group(0) if m else None


def _item(panel: str, kind: str) -> list[str]:
    return re.findall(rf'<li [^>]*data-due="{kind}">(.*?)</li>', panel, re.S)


def _park(session, name: str) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _grid_ids(session, park: Park) -> list[int]:
    return list(session.exec(select(Grid.id).where(Grid.park_id == park.id)))


def _today() -> date:
    return park_service.local_today()


def _period(session) -> Period:
    """The quarter being reported: the latest that has begun (counted here from the table)."""
    today = _today()
    rows = session.exec(select(Period).order_by(col(Period.year), col(Period.quarter))).all()
    begun = [p for p in rows if date(p.year, 3 * p.quarter - 2, 1) <= today]
    return (begun or rows)[-1]


def _report_state(session, park: Park, period: Period) -> ReportState:
    state = session.exec(
        select(ParkReport.state).where(
            ParkReport.park_id == park.id, ParkReport.period_id == period.id
        )
    ).first()
    return ReportState(state) if state else ReportState.draft


def _waiting(session, park: Park) -> int:
    return session.exec(
        select(func.count(col(MonthlyReport.id))).where(
            col(MonthlyReport.grid_id).in_(_grid_ids(session, park)),
            MonthlyReport.state == MonthlyState.submitted,
        )
    ).one()


def _demands_past_due(session, park: Park) -> int:
    return session.exec(
        select(func.count(col(Demand.id))).where(
            col(Demand.grid_id).in_(_grid_ids(session, park)),
            Demand.state != DemandState.closed,
            col(Demand.due_on) < _today(),
        )
    ).one()


def _notices_pending(session, park: Park) -> dict[str, int]:
    """Title → how many of the park's grids have not dealt with it."""
    found: dict[str, int] = {}
    rows = session.exec(
        select(Notice, NoticeTarget).join(NoticeTarget, NoticeTarget.notice_id == Notice.id)
    ).all()
    grids = set(_grid_ids(session, park))
    for n, t in rows:
        if t.grid_id not in grids:
            continue
        done = t.completed_at if n.kind is NoticeKind.task else t.acknowledged_at
        if done is None:
            found[n.title] = found.get(n.title, 0) + 1
    return found


# ---- the park administrator's own park ------------------------------------------------


def test_the_park_administrator_sees_the_report_and_what_else_is_due(login, session):
    huaxia = _park(session, HUAXIA)
    period = _period(session)
    state = _report_state(session, huaxia, period)
    page = login("park_huaxia").get(f"/parks/{huaxia.id}")
    panel = _panel(page.text)
    assert panel, "no panel of what is due"
    # At the top of the page: before the park's facts and its results.
    assert page.text.index('id="park-due"') < page.text.index('class="facts"')
    (report,) = _item(panel, "report")
    started = session.exec(
        select(ParkReport.id).where(
            ParkReport.park_id == huaxia.id, ParkReport.period_id == period.id
        )
    ).first()
    # A quarter the park has not begun reads 未填报, as on the reports list.
    label = gettext(REPORT_STATE_LABELS[state]) if started else "未填报"
    assert _text(report).startswith(f"{period.label} 季度报告 ：{label}")
    assert f"报送截止 {period.deadline.isoformat()}" in _text(report)
    assert f'href="http://testserver/parks/{huaxia.id}/reports/{period.label}"' in report
    waiting, past_due = _waiting(session, huaxia), _demands_past_due(session, huaxia)
    pending = _notices_pending(session, huaxia)
    if waiting:
        assert f"待确认的网格月报 {waiting} 份" in _text(panel)
    else:
        assert _item(panel, "monthly") == []
    assert len(_item(panel, "notice")) == len(pending)
    assert bool(_item(panel, "demands")) == bool(past_due)
    nothing = not (state in park_service.REPORT_TO_DO or waiting or pending or past_due)
    assert ("本园区目前没有待办事项。" in _text(panel)) is nothing


def test_a_grid_report_submitted_shows_as_waiting_for_the_park(login, session):
    """The liaison submits last month's report; the park's panel counts it and links where
    it is confirmed."""
    huaxia = _park(session, HUAXIA)
    grid = session.exec(
        select(Grid).where(Grid.park_id == huaxia.id).order_by(col(Grid.sort_order), col(Grid.id))
    ).first()
    before = _waiting(session, huaxia)
    today = _today()
    last = today.replace(day=1) - timedelta(days=1)
    url = f"/grids/{grid.id}/monthly/{last.year}-{last.month:02d}"
    liaison = login("liaison_huaxia_1")
    figures = {"guidance_sessions": "2", "training_sessions": "1", "service_actions": "9"}
    assert liaison.post(f"{url}/submit", data=figures, headers=HX).status_code == 200
    session.expire_all()
    waiting = _waiting(session, huaxia)
    assert waiting == before + 1
    panel = _panel(login("park_huaxia").get(f"/parks/{huaxia.id}").text)
    (item,) = _item(panel, "monthly")
    assert _text(item) == f"待确认的网格月报 {waiting} 份"
    assert 'href="http://testserver/monthly"' in item
    assert "本园区目前没有待办事项。" not in _text(panel)


def test_a_park_with_everything_due(login, session):
    """惠山's demo park has grid reports to confirm, notices not dealt with and demands past
    due: each item with its number, and its link."""
    huishan = _park(session, HUISHAN)
    waiting, past_due = _waiting(session, huishan), _demands_past_due(session, huishan)
    pending = _notices_pending(session, huishan)
    assert waiting and past_due and pending  # the demo's story for this park
    panel = _panel(login("city_admin").get(f"/parks/{huishan.id}").text)
    assert _text(_item(panel, "monthly")[0]) == f"待确认的网格月报 {waiting} 份"
    (demands,) = _item(panel, "demands")
    assert _text(demands) == f"超期未办结的职工诉求 {past_due} 件"
    assert f"/demands?park_id={huishan.id}&amp;overdue=1" in demands
    # The demands page it links to lists that many.
    listed = login("city_admin").get(f"/demands?park_id={huishan.id}&overdue=1").text
    assert str(past_due) in _text(listed)
    shown = {}
    for item in _item(panel, "notice"):
        m = re.search(r'<a href="[^"]*/notices/(\d+)">(.*?)</a>', item)
        assert m
        shown[unescape(m.group(2))] = int(re.search(r"(\d+) 个网格未办理", _text(item)).group(1))
    assert shown == pending
    assert "本园区目前没有待办事项。" not in _text(panel)


def test_notices_show_their_due_date_and_whether_it_passed(login, session):
    huishan = _park(session, HUISHAN)
    today = _today()
    panel = _panel(login("city_admin").get(f"/parks/{huishan.id}").text)
    for item in _item(panel, "notice"):
        title = unescape(re.search(r'<a href="[^"]*">(.*?)</a>', item).group(1))
        notice = session.exec(select(Notice).where(Notice.title == title)).first()
        if notice.due_on:
            assert f"截止 {notice.due_on.isoformat()}" in _text(item)
        assert ("已超期" in _text(item)) is bool(notice.due_on and today > notice.due_on)


def test_nothing_due_is_said_plainly(login, session):
    """Once the report is approved and every grid report, notice and demand dealt with."""
    huaxia = _park(session, HUAXIA)
    period = _period(session)
    grids = _grid_ids(session, huaxia)
    report = session.exec(
        select(ParkReport).where(ParkReport.park_id == huaxia.id, ParkReport.period_id == period.id)
    ).first()
    if report is None:
        report = ParkReport(park_id=huaxia.id, period_id=period.id)
    report.state = ReportState.approved
    session.add(report)
    session.execute(
        sa.update(MonthlyReport)
        .where(col(MonthlyReport.grid_id).in_(grids), MonthlyReport.state == MonthlyState.submitted)
        .values(state=MonthlyState.confirmed)
    )
    now = sa.func.current_timestamp()
    session.execute(
        sa.update(NoticeTarget)
        .where(col(NoticeTarget.grid_id).in_(grids))
        .values(acknowledged_at=now, completed_at=now)
    )
    session.execute(
        sa.update(Demand).where(col(Demand.grid_id).in_(grids)).values(state=DemandState.closed)
    )
    session.flush()
    panel = _panel(login("park_huaxia").get(f"/parks/{huaxia.id}").text)
    assert "本园区目前没有待办事项。" in _text(panel)
    assert [_text(i).split("：")[1].split(" ·")[0] for i in _item(panel, "report")] == [
        "已审核通过"
    ]
    assert _item(panel, "monthly") == _item(panel, "notice") == _item(panel, "demands") == []


def test_a_report_to_fill_past_its_deadline_is_flagged(login, session):
    huaxia = _park(session, HUAXIA)
    period = _period(session)
    report = session.exec(
        select(ParkReport).where(ParkReport.park_id == huaxia.id, ParkReport.period_id == period.id)
    ).first()
    if report is None:
        report = ParkReport(park_id=huaxia.id, period_id=period.id)
    report.state = ReportState.returned
    session.add(report)
    session.flush()
    (item,) = _item(_panel(login("park_huaxia").get(f"/parks/{huaxia.id}").text), "report")
    assert "已退回修改" in _text(item)
    assert ("已过截止日期" in _text(item)) is (_today() > period.deadline)


def test_a_report_not_begun_reads_not_started(login, session):
    huaxia = _park(session, HUAXIA)
    period = _period(session)
    session.execute(
        sa.delete(ParkReport).where(
            ParkReport.park_id == huaxia.id, ParkReport.period_id == period.id
        )
    )
    session.flush()
    panel = _panel(login("park_huaxia").get(f"/parks/{huaxia.id}").text)
    (item,) = _item(panel, "report")
    assert _text(item).startswith(f"{period.label} 季度报告 ：未填报")
    # Not begun is still to do: the panel does not say nothing is due.
    assert "本园区目前没有待办事项。" not in _text(panel)


@pytest.mark.parametrize("username", ["liaison_huaxia_1", "leader"])
def test_readers_who_do_not_deal_with_the_park_see_no_panel(login, session, username):
    huaxia = _park(session, HUAXIA)
    page = login(username).get(f"/parks/{huaxia.id}")
    assert page.status_code == 200 and _panel(page.text) is None


def test_the_district_office_sees_the_panel_of_its_park(login, session):
    huaxia = _park(session, HUAXIA)
    panel = _panel(login("district_liangxi").get(f"/parks/{huaxia.id}").text)
    assert panel and _item(panel, "report")


def test_reporting_period_is_the_latest_begun():
    periods = [
        Period(id=1, year=2026, quarter=3, deadline=date(2026, 10, 20)),
        Period(id=2, year=2026, quarter=4, deadline=date(2027, 1, 15)),
    ]
    assert park_service.reporting_period(periods, date(2026, 9, 30)).quarter == 3
    assert park_service.reporting_period(periods, date(2026, 10, 1)).quarter == 4
    assert park_service.reporting_period(periods, date(2020, 1, 1)).quarter == 4
    assert park_service.reporting_period([], date(2026, 1, 1)) is None
