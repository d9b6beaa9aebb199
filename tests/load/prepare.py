"""A fresh demo database for the load test, and the plan of what its users will touch."""

from dataclasses import dataclass

from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.assessment.models import ParkReport, Period, ReportState
from app.assessment.reports import service as reports
from app.audit.models import AuditLog
from app.core import permissions
from app.core.db import make_engine
from app.demo.loader import load_demo
from app.geo.models import Area, AreaLevel, Grid, Park
from app.gridwork.models import MonthlyReport
from app.gridwork.monthly import service as monthly_service
from app.migrate import upgrade

# The demo accounts the users log in as (README); all share the demo password.
LEADER = "leader"
LIAISON = "liaison_huaxia_1"
PARK_ADMIN = "park_huaxia"
DISTRICT = "district_liangxi"
PASSWORD = "parkgrid-demo"

# Submitted reports the district office approves during the run: the demo has one in its
# district, so a few more are reopened and submitted again first (see `prepare`).
APPROVALS = 4


@dataclass(frozen=True)
class Report:
    """A park's quarterly report as it stood when the run began."""

    park_id: int
    period: str  # its label, e.g. 2026Q3
    report_id: int
    version: int

    @property
    def url(self) -> str:
        return f"/parks/{self.park_id}/reports/{self.period}"


@dataclass(frozen=True)
class Plan:
    """Ids the users need and the state the checks compare the end of the run with."""

    district_ids: tuple[int, ...]
    park_ids: tuple[int, ...]
    period: str  # the latest period: the worklist's and the rankings'
    grid_id: int  # the liaison's grid
    grid_version: int
    month: str  # YYYY-MM: the month whose grid report the liaisons save
    month_version: int  # 0: no report for the month yet
    shared: Report  # the one report every park administrator saves at once
    note_indicator_id: int  # whose note each save of `shared` writes its token into
    approvals: tuple[Report, ...]
    audit_start: int  # the last audit row before the run
    notes: tuple[str, ...]  # what was changed in the demo to make the plan possible


def fresh_engine(url: str) -> Engine:
    """An engine on an empty database (PostgreSQL: the public schema is dropped and remade),
    as tests/conftest.py makes the suite's."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    return engine


def _who(session: Session, username: str) -> permissions.Principal:
    user = session.exec(select(User).where(User.username == username)).one()
    return accounts.principal(session=session, user=user)


def _report(session: Session, park_id: int, period: Period) -> ParkReport | None:
    return session.exec(
        select(ParkReport).where(ParkReport.park_id == park_id, ParkReport.period_id == period.id)
    ).first()


def prepare(url: str) -> Plan:
    """Migrates an empty database at `url`, loads the demo and readies the run's reports."""
    engine = fresh_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            load_demo(session=session)
            session.commit()
        with Session(engine) as session:
            plan = _plan(session)
            session.commit()
        return plan
    finally:
        engine.dispose()


def _plan(session: Session) -> Plan:
    system = permissions.system("load-test")
    notes: list[str] = []
    periods = list(
        session.exec(select(Period).order_by(col(Period.year).desc(), col(Period.quarter).desc()))
    )
    latest = periods[0]

    # The park administrators' report: the latest one of their park. In the demo every
    # report of 无锡华夏家居港 is approved, so none can be saved; the district reopens it.
    park_admin = _who(session, PARK_ADMIN)
    park_id = min(park_admin.park_ids)
    shared = _report(session, park_id, latest)
    if shared is None or shared.state not in reports.EDITABLE:
        state = shared.state.value if shared else "missing"
        reports.reopen(
            session=session,
            who=system,
            park_id=park_id,
            period=latest,
            reason="负载测试：重新打开，供园区同时保存",
        )
        shared = _report(session, park_id, latest)
        notes.append(
            f"no report {PARK_ADMIN} can save in the demo ({latest.label} is {state}): "
            f"reopened it through the service layer"
        )
    view = reports.load(session=session, who=system, park_id=park_id, period=latest)
    note_indicator = next(r.indicator for r in view.rows if not r.computed)

    # The district office's worklist: submitted reports of its parks, latest period first.
    district = _who(session, DISTRICT)
    its_parks = [
        p.id
        for p in session.exec(
            permissions.restrict(select(Park).order_by(col(Park.id)), district, "review", Park)
        )
        if p.id != park_id
    ]
    approvals: list[ParkReport] = []
    added = 0
    for period in periods:
        for pid in its_parks:
            report = _report(session, pid, period)
            if report is None or len(approvals) >= APPROVALS:
                continue
            if report.state is ReportState.approved:
                # Approved already: reopened and submitted again, as a correction would be.
                reports.reopen(
                    session=session, who=system, park_id=pid, period=period, reason="负载测试"
                )
                reports.submit(session=session, who=system, park_id=pid, period=period)
                added += 1
            if report.state is ReportState.submitted:
                approvals.append(report)
    if added:
        notes.append(f"reopened and resubmitted {added} approved report(s) for the district")

    liaison = _who(session, LIAISON)
    grid = session.get(Grid, liaison.grids[0][0])
    month = monthly_service.this_month()
    monthly = session.exec(
        select(MonthlyReport).where(
            MonthlyReport.grid_id == grid.id,
            MonthlyReport.year == month.year,
            MonthlyReport.month == month.month,
        )
    ).first()
    session.flush()
    period_labels = {p.id: p.label for p in periods}
    return Plan(
        district_ids=tuple(
            session.exec(
                select(Area.id).where(Area.level == AreaLevel.district).order_by(col(Area.id))
            )
        ),
        park_ids=tuple(session.exec(select(Park.id).order_by(col(Park.id)))),
        period=latest.label,
        grid_id=grid.id,
        grid_version=grid.status_version,
        month=month.label,
        month_version=monthly.version if monthly else 0,
        shared=Report(park_id, latest.label, shared.id, shared.version),
        note_indicator_id=note_indicator.id,
        approvals=tuple(
            Report(r.park_id, period_labels[r.period_id], r.id, r.version) for r in approvals
        ),
        audit_start=session.exec(select(func.coalesce(func.max(AuditLog.id), 0))).one(),
        notes=tuple(notes),
    )
