"""Worker demands in the service: working-day due dates, overdue, on time, resolution rate."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import col, select

from app.core.permissions import system
from app.geo.models import Grid, Park
from app.gridwork.demands import service
from app.gridwork.models import Demand, DemandState

WHO = system("test")
LOOP = (
    ("assign", {"assignee": "园区工会"}),
    ("handle", {"handling_note": "已协调企业解决"}),
    ("verify", {"verification_note": "回访职工，表示满意"}),
)


def _grid(session, park_name: str, index: int = 0) -> Grid:
    park = session.exec(select(Park).where(Park.name == park_name)).one()
    return list(
        session.exec(select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order)))
    )[index]


@pytest.fixture
def grid(session) -> Grid:
    return _grid(session, "无锡华夏家居港")


def _record(session, grid: Grid, received_on: date, **over) -> Demand:
    data = {
        "channel": "hotline",
        "category": "safety",
        "summary": "车间粉尘大，防护口罩不够",
        "received_on": received_on.isoformat(),
    } | over
    return service.record(session=session, who=WHO, grid_id=grid.id, data=data, today=received_on)


def _to_verified(session, demand: Demand) -> Demand:
    for step, data in LOOP:
        demand = service.advance(
            session=session, who=WHO, demand_id=demand.id, step=step, data=data
        )
    return demand


def test_due_date_counts_ten_working_days_across_national_day(session, grid):
    # 1–8 October 2025 are holidays and Saturday 11 October a make-up working day:
    # the 10th working day after 30 September is Tuesday 21 October.
    d = _record(session, grid, date(2025, 9, 30))
    assert service.DUE_WORKING_DAYS == 10
    assert d.due_on == date(2025, 10, 21)
    assert service.due_known(d)
    assert not service.is_overdue(d, today=date(2025, 10, 21))
    assert service.is_overdue(d, today=date(2025, 10, 22))

    # Still overdue while the loop goes on; no longer once closed.
    _to_verified(session, d)
    assert service.is_overdue(d, today=date(2025, 10, 22))
    service.close(session=session, who=WHO, demand_id=d.id, today=date(2025, 10, 23))
    assert not service.is_overdue(d, today=date(2025, 10, 23))


def test_counts_see_a_demand_go_overdue_on_the_day_after_its_due_date(session, grid):
    d = _record(session, grid, date(2025, 9, 30))
    f = service.DemandFilter(grid_id=grid.id)
    on_due = service.counts(session=session, who=WHO, f=f, today=date(2025, 10, 21))
    after = service.counts(session=session, who=WHO, f=f, today=date(2025, 10, 22))
    assert (on_due.received, on_due.open, on_due.overdue) == (1, 1, 0)
    assert (after.received, after.open, after.overdue) == (1, 1, 1)
    rows, total = service.search(
        session=session,
        who=WHO,
        f=service.DemandFilter(grid_id=grid.id, overdue=True),
        today=date(2025, 10, 22),
    )
    assert (rows, total) == ([d], 1)


@pytest.mark.parametrize(
    ("closed_on", "on_time"),
    [(date(2025, 10, 20), True), (date(2025, 10, 21), True), (date(2025, 10, 22), False)],
)
def test_closing_flags_on_time_or_late_against_the_due_date(session, grid, closed_on, on_time):
    d = _to_verified(session, _record(session, grid, date(2025, 9, 30)))
    closed = service.close(session=session, who=WHO, demand_id=d.id, today=closed_on)
    assert (closed.state, closed.closed_on_time) == (DemandState.closed, on_time)
    counts = service.counts(
        session=session, who=WHO, f=service.DemandFilter(grid_id=grid.id), today=closed_on
    )
    assert (counts.closed, counts.closed_on_time, counts.overdue) == (1, int(on_time), 0)


def test_lists_show_open_demands_soonest_due_first_then_the_latest_closed(session, grid):
    later = _record(session, grid, date(2025, 11, 3))
    sooner = _record(session, grid, date(2025, 10, 9))
    closed_first = _to_verified(session, _record(session, grid, date(2025, 9, 1)))
    service.close(session=session, who=WHO, demand_id=closed_first.id)
    closed_last = _to_verified(session, _record(session, grid, date(2025, 8, 1)))
    service.close(session=session, who=WHO, demand_id=closed_last.id)
    closed_last.closed_at = closed_first.closed_at.replace(year=2030)
    session.add(closed_last)
    session.flush()
    rows, total = service.search(session=session, who=WHO, f=service.DemandFilter(grid_id=grid.id))
    assert total == 4
    assert [d.id for d in rows] == [sooner.id, later.id, closed_last.id, closed_first.id]


def test_a_year_the_calendar_does_not_know_is_counted_monday_to_friday(session, grid, login):
    # The official calendar starts in 2004: 2003 is counted Monday to Friday, and says so.
    d = _record(session, grid, date(2003, 3, 3))
    assert d.due_on == date(2003, 3, 17) and not service.due_known(d)
    session.flush()
    page = login("liaison_huaxia_1").get(f"/demands/{d.id}").text
    assert "按周一至周五估算" in page
    listing = login("liaison_huaxia_1").get(f"/grids/{grid.id}/demands").text
    assert "按周一至周五估算" in listing


def _closed_at(session, demand: Demand, when: datetime) -> None:
    # The loop stamps the real clock; the indicator is about given days, so set it.
    demand = _to_verified(session, demand)
    service.close(session=session, who=WHO, demand_id=demand.id)
    demand.closed_at = when
    session.add(demand)
    session.flush()


def test_resolution_is_closed_over_received_per_park(session):
    huaxia_1 = _grid(session, "无锡华夏家居港", 0)
    huaxia_2 = _grid(session, "无锡华夏家居港", 1)
    shengyang = _grid(session, "无锡盛阳食品城")
    huishan = _grid(session, "无锡惠山高新技术产业创业服务中心")
    until = date(2026, 6, 30)

    # 华夏家居港: three received in 2026 by 30 June, two closed by then (one at 23:30
    # Beijing time on 30 June, i.e. 15:30 UTC), one closed in July; plus one received in
    # 2025 and one in July 2026, which do not count.
    _closed_at(
        session, _record(session, huaxia_1, date(2026, 3, 2)), datetime(2026, 3, 20, tzinfo=UTC)
    )
    _closed_at(
        session,
        _record(session, huaxia_2, date(2026, 6, 1)),
        datetime(2026, 6, 30, 15, 30, tzinfo=UTC),
    )
    _closed_at(
        session, _record(session, huaxia_1, date(2026, 6, 10)), datetime(2026, 7, 2, tzinfo=UTC)
    )
    _closed_at(
        session, _record(session, huaxia_1, date(2025, 12, 1)), datetime(2026, 1, 5, tzinfo=UTC)
    )
    _record(session, huaxia_2, date(2026, 7, 1))
    # 盛阳食品城: one received, still open.
    _record(session, shengyang, date(2026, 5, 5))
    # 惠山: one closed at 00:30 Beijing time on 1 July (16:30 UTC on 30 June): too late.
    _closed_at(
        session,
        _record(session, huishan, date(2026, 6, 20)),
        datetime(2026, 6, 30, 16, 30, tzinfo=UTC),
    )

    parks = {
        name: session.exec(select(Park.id).where(Park.name == name)).one()
        for name in (
            "无锡华夏家居港",
            "无锡盛阳食品城",
            "无锡惠山高新技术产业创业服务中心",
            "江阴高新区生物医药产业园",
        )
    }
    found = service.resolution(
        session=session, park_ids=list(parks.values()), year=2026, until=until
    )

    huaxia = found[parks["无锡华夏家居港"]]
    assert (huaxia.value, huaxia.num, huaxia.den) == (66.67, 2, 3)
    assert huaxia.basis == "本年受理职工诉求 3 件，已办结 2 件"
    assert (found[parks["无锡盛阳食品城"]].value, found[parks["无锡盛阳食品城"]].den) == (0.0, 1)
    assert found[parks["无锡惠山高新技术产业创业服务中心"]].value == 0.0
    # A park that received no demand has no rate at all.
    assert parks["江阴高新区生物医药产业园"] not in found

    # By the end of the year the July demand counts and the July closure too.
    year_end = service.resolution(
        session=session, park_ids=[parks["无锡华夏家居港"]], year=2026, until=date(2026, 12, 31)
    )[parks["无锡华夏家居港"]]
    assert (year_end.num, year_end.den, year_end.value) == (3, 4, 75.0)
    # 2025 alone: one received, closed in January 2026 — not by the end of 2025.
    last_year = service.resolution(
        session=session, park_ids=[parks["无锡华夏家居港"]], year=2025, until=date(2025, 12, 31)
    )[parks["无锡华夏家居港"]]
    assert (last_year.num, last_year.den) == (0, 1)
