"""Grid work feeds the assessment: confirmed monthly reports and closed worker demands."""

from datetime import date

from sqlmodel import col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.assessment.models import IndicatorValue, Period, ValueOrigin
from app.assessment.reports import service as reports
from app.core.calendar import default_deadline
from app.enterprises import service as roster
from app.framework import service as framework_service
from app.geo.models import Grid, Park
from app.gridwork.demands import service as demands_service
from app.gridwork.monthly import service as monthly_service
from app.gridwork.monthly.service import Month


def _who(session, username):
    user = session.exec(select(User).where(User.username == username)).one()
    return accounts.principal(session=session, user=user)


def _setup(session):
    fw = framework_service.for_year(session=session, year=2026)
    q4 = Period(year=2026, quarter=4, deadline=default_deadline(2026, 4).day, framework_id=fw.id)
    session.add(q4)
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    grid = session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()
    session.flush()
    codes = {i.code: i for i in framework_service.indicators(session=session, framework_id=fw.id)}
    return q4, park, grid, codes


def test_a_confirmed_monthly_report_shows_up_in_the_quarter_computed_values(session):
    q4, park, grid, codes = _setup(session)
    liaison, admin = _who(session, "liaison_huaxia_1"), _who(session, "park_huaxia")
    october = Month(2026, 10)
    figures = {
        "guidance_sessions": "5",
        "guidance_attendance": "180",
        "training_sessions": "2",
        "training_person_times": "388",
        "competition_participants": "40",
        "innovations": "3",
        "culture_activities": "1",
        "culture_reach": "120",
        "service_actions": "6",
    }
    today = date(2026, 11, 21)
    monthly_service.submit(
        session=session, who=liaison, grid_id=grid.id, month=october, data=figures, today=today
    )
    # Submitted but not confirmed: nothing is computed from it yet.
    view = reports.load(session=session, who=admin, park_id=park.id, period=q4)
    assert not next(r for r in view.rows if r.indicator.code == "I03").computed

    monthly_service.confirm(session=session, who=admin, grid_id=grid.id, month=october)
    view = reports.load(session=session, who=admin, park_id=park.id, period=q4)
    computed = {r.indicator.code for r in view.rows if r.computed}
    assert {"I03", "I04", "I06", "I07", "I11"} <= computed

    reports.save(session=session, who=admin, park_id=park.id, period=q4, data={})
    values = {
        v.indicator_id: v
        for v in session.exec(
            select(IndicatorValue).where(
                IndicatorValue.park_id == park.id, IndicatorValue.period_id == q4.id
            )
        )
    }
    i03, i06, i07, i11 = (values[codes[c].id] for c in ("I03", "I06", "I07", "I11"))
    assert (i03.value, i06.value, i07.value, i11.value) == (5, 40, 3, 120)
    assert i03.origin is ValueOrigin.computed and "1 份已确认的网格月报" in i03.basis
    # Training coverage: 388 person-times over the park's workers.
    workers = roster.totals_by_park(session=session)[park.id].workers
    i04 = values[codes["I04"].id]
    assert i04.value == round(100 * 388 / workers, 2) and f"{workers}" in i04.basis


def test_closed_demands_give_the_resolution_rate(session):
    q4, park, grid, codes = _setup(session)
    liaison, admin = _who(session, "liaison_huaxia_1"), _who(session, "park_huaxia")
    today = date(2026, 11, 21)
    made = [
        demands_service.record(
            session=session,
            who=liaison,
            grid_id=grid.id,
            data={
                "channel": "visit",
                "category": "wages",
                "summary": f"诉求{i}",
                "received_on": "2026-11-02",
            },
            today=today,
        )
        for i in range(4)
    ]
    d = made[0]
    demands_service.assign(
        session=session,
        who=liaison,
        demand_id=d.id,
        assignee="王敏",
        version=d.version,
        today=today,
    )
    demands_service.handle(
        session=session,
        who=liaison,
        demand_id=d.id,
        note="已协调补发",
        version=d.version,
        today=today,
    )
    demands_service.verify(
        session=session, who=admin, demand_id=d.id, note="回访满意", version=d.version, today=today
    )
    demands_service.close(
        session=session, who=liaison, demand_id=d.id, version=d.version, today=today
    )

    reports.save(session=session, who=admin, park_id=park.id, period=q4, data={})
    i09 = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.park_id == park.id,
            IndicatorValue.period_id == q4.id,
            IndicatorValue.indicator_id == codes["I09"].id,
        )
    ).one()
    assert (i09.value, i09.origin) == (25.0, ValueOrigin.computed)
    assert "4" in i09.basis and "1" in i09.basis
