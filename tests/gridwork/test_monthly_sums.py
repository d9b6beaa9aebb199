"""Sums of confirmed monthly grid reports per park, as the assessment's indicators read them."""

from datetime import date

import pytest
from sqlmodel import col, select

from app.core.permissions import system
from app.geo.models import Grid, Park
from app.gridwork.monthly import service as monthly
from app.gridwork.monthly.service import FIGURES, Month

TODAY = date(2026, 11, 21)
WHO = system("test")

JULY = {
    "guidance_sessions": 3,
    "guidance_attendance": 126,
    "training_sessions": 2,
    "training_person_times": 85,
    "competition_participants": 40,
    "innovations": 5,
    "culture_activities": 1,
    "culture_reach": 210,
    "service_actions": 17,
}
SEPTEMBER = {
    "guidance_sessions": 2,
    "guidance_attendance": 90,
    "training_sessions": 4,
    "training_person_times": 160,
    "competition_participants": 0,
    "innovations": 2,
    "culture_activities": 2,
    "culture_reach": 350,
    "service_actions": 9,
}
BIG = dict.fromkeys(FIGURES, 1000)


def _park(session, name: str) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _grids(session, park: Park) -> list[Grid]:
    return list(
        session.exec(select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order)))
    )


def _report(session, grid: Grid, month: Month, figures: dict, *, until: str) -> None:
    data = {k: str(v) for k, v in figures.items()}
    kw = {"session": session, "who": WHO, "grid_id": grid.id, "month": month}
    monthly.save(**kw, data=data, today=TODAY)
    if until in ("submitted", "confirmed"):
        monthly.submit(**kw, today=TODAY)
    if until == "confirmed":
        monthly.confirm(**kw)


@pytest.fixture
def huaxia(session) -> Park:
    return _park(session, "无锡华夏家居港")


def _sums(session, park_ids, quarter, year=2026):
    return (
        monthly.quarter_sums(session=session, park_ids=park_ids, year=year, quarter=quarter),
        monthly.reports_count(session=session, park_ids=park_ids, year=year, quarter=quarter),
    )


def test_quarter_sums_add_confirmed_reports_from_january_to_the_quarters_end(session, huaxia):
    shengyang = _park(session, "无锡盛阳食品城")
    ids = [huaxia.id, shengyang.id]
    # Whatever other data may hold already, what follows adds exactly these reports.
    base3, n3 = _sums(session, ids, 3)
    base2, n2 = _sums(session, ids, 2)
    base4, n4 = _sums(session, ids, 4)
    a, b, c = _grids(session, huaxia)[:3]

    _report(session, a, Month(2026, 7), JULY, until="confirmed")
    _report(session, b, Month(2026, 9), SEPTEMBER, until="confirmed")
    _report(session, a, Month(2026, 8), BIG, until="draft")  # not confirmed: ignored
    _report(session, c, Month(2026, 8), BIG, until="submitted")  # waiting: ignored
    _report(session, a, Month(2026, 10), BIG, until="confirmed")  # the fourth quarter
    _report(session, a, Month(2025, 12), BIG, until="confirmed")  # another year

    sums, counts = _sums(session, ids, 3)
    zero = dict.fromkeys(FIGURES, 0)
    before = base3.get(huaxia.id, zero)
    added = {f: sums[huaxia.id][f] - before[f] for f in FIGURES}
    assert added == {
        "guidance_sessions": 5,
        "guidance_attendance": 216,
        "training_sessions": 6,
        "training_person_times": 245,
        "competition_participants": 40,
        "innovations": 7,
        "culture_activities": 3,
        "culture_reach": 560,
        "service_actions": 26,
    }
    assert counts[huaxia.id] - n3.get(huaxia.id, 0) == 2
    assert monthly.sums_basis(counts[huaxia.id]).startswith("由 ")
    assert monthly.sums_basis(2) == "由 2 份已确认的网格月报汇总"

    # A park without any confirmed report in the range is absent, not zero.
    assert (shengyang.id in sums) == (shengyang.id in base3)
    # The second quarter ends in June: July and September do not count there.
    assert _sums(session, ids, 2) == (base2, n2)
    # The fourth quarter adds October to the year's total.
    q4, c4 = _sums(session, ids, 4)
    before4 = base4.get(huaxia.id, zero)
    assert q4[huaxia.id]["culture_reach"] - before4["culture_reach"] == 560 + 1000
    assert c4[huaxia.id] - n4.get(huaxia.id, 0) == 3


def test_submitted_and_returned_reports_do_not_count_until_confirmed(session, huaxia):
    grid = _grids(session, huaxia)[0]
    before = _sums(session, [huaxia.id], 3)
    _report(session, grid, Month(2026, 7), JULY, until="submitted")
    monthly.return_report(
        session=session, who=WHO, grid_id=grid.id, month=Month(2026, 7), comment="请附照片"
    )
    assert _sums(session, [huaxia.id], 3) == before
    monthly.submit(session=session, who=WHO, grid_id=grid.id, month=Month(2026, 7), today=TODAY)
    assert _sums(session, [huaxia.id], 3) == before
    monthly.confirm(session=session, who=WHO, grid_id=grid.id, month=Month(2026, 7))
    sums, counts = _sums(session, [huaxia.id], 3)
    was = before[0].get(huaxia.id, dict.fromkeys(FIGURES, 0))
    assert sums[huaxia.id]["guidance_attendance"] - was["guidance_attendance"] == 126
    assert counts[huaxia.id] - before[1].get(huaxia.id, 0) == 1


def test_no_parks_no_sums_and_quarters_are_one_to_four(session, huaxia):
    assert monthly.quarter_sums(session=session, park_ids=[], year=2026, quarter=3) == {}
    assert monthly.reports_count(session=session, park_ids=[], year=2026, quarter=3) == {}
    # A year nobody has reported is absent for every park.
    assert monthly.quarter_sums(session=session, park_ids=[huaxia.id], year=2031, quarter=4) == {}
    with pytest.raises(ValueError):
        monthly.quarter_sums(session=session, park_ids=[huaxia.id], year=2026, quarter=5)
