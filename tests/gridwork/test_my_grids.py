"""A liaison's home: their grids with status and what is due."""

from datetime import date

from sqlmodel import col, select

from app.core.calendar import add_working_days
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.geo.models import Grid, Park
from app.gridwork.models import (
    Demand,
    DemandCategory,
    DemandChannel,
    MonthlyReport,
    MonthlyState,
    Notice,
    NoticeKind,
    NoticeTarget,
)


def _first_grid(session) -> Grid:
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    return session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()


def _last_month() -> str:
    today = utcnow().astimezone(LOCAL_TZ).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


def test_liaison_lands_on_their_grids_with_what_is_due(login, session):
    grid = _first_grid(session)
    c = login("liaison_huaxia_1")
    home = c.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"].endswith("/my")
    page = c.get("/my").text
    assert page.count('class="panel card"') == 1 and f'data-grid="{grid.id}"' in page
    assert f"{_last_month()} 网格月报未报送" in page

    # The demo already holds some notices and demands for this grid: count on top of them.
    import re

    def count(pattern):
        m = re.search(pattern, c.get("/my").text)
        return int(m.group(1)) if m else 0

    notices0 = count(r"(\d+) 条通知待确认")
    open0, overdue0 = count(r"(\d+) 件职工诉求未办结"), count(r"(\d+) 件已逾期")
    # A notice to acknowledge and two open demands, one of them overdue.
    notice = Notice(
        kind=NoticeKind.notice,
        title="安全检查",
        body="请周五前完成自查",
        sender_name="梁溪区产改办",
    )
    session.add(notice)
    session.flush()
    session.add(NoticeTarget(notice_id=notice.id, grid_id=grid.id))
    long_ago = date(2026, 9, 1)
    for received in (long_ago, utcnow().astimezone(LOCAL_TZ).date()):
        session.add(
            Demand(
                grid_id=grid.id,
                channel=DemandChannel.visit,
                category=DemandCategory.wages,
                summary="加班费核算",
                received_on=received,
                due_on=add_working_days(received, 10).day,
            )
        )
    year, month = map(int, _last_month().split("-"))
    session.add(
        MonthlyReport(grid_id=grid.id, year=year, month=month, state=MonthlyState.submitted)
    )
    session.flush()
    page = c.get("/my").text
    assert f"{notices0 + 1} 条通知待确认" in page
    assert f"{open0 + 2} 件职工诉求未办结" in page and f"{overdue0 + 1} 件已逾期" in page
    assert "网格月报未报送" not in page


def test_other_roles_see_no_grids_of_their_own(login):
    page = login("park_huaxia").get("/my")
    assert page.status_code == 200 and "您还没有分配网格" in page.text
