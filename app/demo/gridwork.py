"""Demo grid work in November 2026: notices and tasks, worker demands, October's monthly reports.

It all falls in 2026 Q4, after the eight scored quarters, so their scores stay as they are
while the grid-work pages have something to show (the first-run tour's open Q4 counts it).
It lives in the 惠山 and 江阴 biomedicine parks, and for the tour in the demo liaison's grid.
"""

from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core.calendar import add_working_days
from app.geo.models import Grid, Park
from app.gridwork.models import (
    Demand,
    DemandCategory,
    DemandChannel,
    DemandState,
    MonthlyReport,
    MonthlyState,
    Notice,
    NoticeKind,
    NoticeTarget,
)

HUISHAN = "无锡惠山高新技术产业创业服务中心"
BIOMED = "江阴高新区生物医药产业园"
C, K, S, D = DemandChannel, DemandCategory, DemandState, date
# (park, grid index, channel, category, summary, received on, state)
DEMANDS = (
    (
        HUISHAN,
        0,
        C.visit,
        K.wages,
        "石墨烯企业部分员工反映夜班津贴标准不清",
        date(2026, 11, 2),
        S.assigned,
    ),
    (HUISHAN, 1, C.hotline, K.safety, "智能制造车间噪声超标", D(2026, 11, 12), S.received),
    (HUISHAN, 2, C.survey, K.skills, "希望开设5G基站调试技能培训", D(2026, 11, 4), S.handled),
    (
        HUISHAN,
        3,
        C.online,
        K.welfare,
        "职工书屋开放时间与下班时间冲突",
        date(2026, 11, 3),
        S.closed,
    ),
    (
        BIOMED,
        0,
        C.visit,
        K.dispute,
        "一名研发人员与企业就竞业协议发生争议",
        date(2026, 11, 5),
        S.verified,
    ),
    (BIOMED, 1, C.letter, K.other, "建议增设园区通勤班车", D(2026, 11, 16), S.received),
    (BIOMED, 2, C.visit, K.safety, "试剂仓库通风设施需检修", D(2026, 11, 6), S.closed),
)
STEP_NOTES = {
    S.assigned: {"assignee": "园区职工服务中心"},
    S.handled: {"assignee": "园区职工服务中心", "handling_note": "已与培训机构对接，拟于12月开班"},
    S.verified: {
        "assignee": "园区调解室",
        "handling_note": "经调解双方达成一致",
        "verification_note": "电话回访，当事人表示满意",
    },
    S.closed: {
        "assignee": "园区工会",
        "handling_note": "已落实整改",
        "verification_note": "现场核实已落实",
    },
}


def _at(day: date, hour: int = 9) -> datetime:
    """A moment on a Beijing working day, stored in UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=UTC)


def _grids(session: Session, park_name: str) -> list[Grid]:
    park = session.exec(select(Park).where(Park.name == park_name)).one()
    stmt = select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    return list(session.exec(stmt))


def load_grid_work(*, session: Session) -> dict[str, int]:
    """Adds the demo's notices, demands and monthly reports; flushes, never commits."""
    city = session.exec(select(User).where(User.username == "city_admin")).one()
    grids = {HUISHAN: _grids(session, HUISHAN), BIOMED: _grids(session, BIOMED)}

    notice = Notice(
        kind=NoticeKind.notice,
        title="关于开展冬季安全生产大检查的通知",
        body="请各网格联络员于11月28日前组织网格内企业完成冬季安全生产自查，重点检查消防通道、"
        "用电安全和危化品存储，发现隐患及时整改并报园区产改机构。",
        due_on=date(2026, 11, 28),
        sender_id=city.id,
        sender_name="市产改办",
        sent_at=_at(date(2026, 11, 10)),
    )
    task = Notice(
        kind=NoticeKind.task,
        title="报送2026年度网格产改工作总结",
        body="请各网格总结全年产改工作亮点与不足，形成不超过两千字的书面材料，随附活动照片。",
        due_on=date(2026, 12, 15),
        sender_id=city.id,
        sender_name="市产改办",
        sent_at=_at(date(2026, 11, 18)),
    )
    session.add_all([notice, task])
    session.flush()
    targets = []
    for i, g in enumerate(grids[HUISHAN] + grids[BIOMED]):
        done = i % 3 != 0  # a third of the grids have not acknowledged yet
        targets.append(
            NoticeTarget(
                notice_id=notice.id,
                grid_id=g.id,
                read_at=_at(date(2026, 11, 11), 10) if done else None,
                acknowledged_at=_at(date(2026, 11, 11), 11) if done else None,
                acknowledged_by=f"{g.name}联络员" if done else "",
            )
        )
    for i, g in enumerate(grids[HUISHAN]):
        targets.append(
            NoticeTarget(
                notice_id=task.id,
                grid_id=g.id,
                read_at=_at(date(2026, 11, 18), 15) if i < 3 else None,
                acknowledged_at=_at(date(2026, 11, 19)) if i < 3 else None,
                acknowledged_by=f"{g.name}联络员" if i < 3 else "",
                completed_at=_at(date(2026, 11, 20), 16) if i < 2 else None,
                completed_by=f"{g.name}联络员" if i < 2 else "",
                completion_note="已提交书面总结及活动照片12张" if i < 2 else "",
            )
        )
    session.add_all(targets)

    demands = []
    for park_name, index, channel, category, summary, received, state in DEMANDS:
        due = add_working_days(received, 10).day
        d = Demand(
            grid_id=grids[park_name][index].id,
            channel=channel,
            category=category,
            summary=summary,
            received_on=received,
            due_on=due,
            state=state,
            created_at=_at(received),
            created_by=f"{grids[park_name][index].name}联络员",
            **STEP_NOTES.get(state, {}),
        )
        if state in (S.handled, S.verified, S.closed):
            d.handled_at = _at(date(2026, 11, 12), 15)
        if state in (S.verified, S.closed):
            d.verified_at = _at(date(2026, 11, 16))
        if state is S.closed:
            d.closed_at, d.closed_on_time = _at(date(2026, 11, 17), 11), True
        demands.append(d)
    session.add_all(demands)

    reports = []
    for i, g in enumerate(grids[HUISHAN] + grids[BIOMED]):
        state = MonthlyState.confirmed if i % 4 != 3 else MonthlyState.submitted
        reports.append(
            MonthlyReport(
                grid_id=g.id,
                year=2026,
                month=10,
                state=state,
                guidance_sessions=1 + i % 2,
                guidance_attendance=40 + 6 * i,
                training_sessions=1 + i % 3,
                training_person_times=60 + 15 * i,
                competition_participants=10 * (i % 3),
                innovations=1 + i % 2,
                culture_activities=1,
                culture_reach=80 + 10 * i,
                service_actions=3 + i % 4,
                notes="开展安全生产宣讲，组织技能培训和职工文体活动。",
                submitted_at=_at(date(2026, 11, 3), 16),
                submitted_by=f"{g.name}联络员",
                confirmed_at=_at(date(2026, 11, 6)) if state is MonthlyState.confirmed else None,
                confirmed_by="园区产改机构" if state is MonthlyState.confirmed else "",
            )
        )
    session.add_all(reports)
    session.flush()
    return {"notice_targets": len(targets), "demands": len(demands), "monthly": len(reports)}


# The first-run tour's liaison (liaison_huaxia_1) keeps the first grid of this park.
HUAXIA = "无锡华夏家居港"
# (channel, category, summary, received on, state): one still waiting past its due date
# (ten working days after 9 November), one received days ago.
HUAXIA_DEMANDS = (
    (C.visit, K.wages, "家具卖场一线导购反映周末加班费计算方式不清", D(2026, 11, 9), S.assigned),
    (C.hotline, K.safety, "仓储区叉车作业通道标识不清，存在安全隐患", D(2026, 11, 30), S.received),
)


def load_liaison_work(*, session: Session) -> dict[str, int]:
    """Gives the tour's liaison something to do in their own grid: an unread notice, an
    open task with a due date and two worker demands; flushes, never commits."""
    grid = _grids(session, HUAXIA)[0]
    office = session.exec(select(User).where(User.username == "district_liangxi")).one()
    notice = Notice(
        kind=NoticeKind.notice,
        title="关于做好岁末年初职工走访慰问工作的通知",
        body="请各网格联络员走访网格内企业，摸清困难职工、新就业形态劳动者的生活情况，"
        "名单于12月10日前报区产改办，春节前完成慰问。",
        sender_id=office.id,
        sender_name="梁溪区产改办",
        sent_at=_at(date(2026, 11, 26), 10),
    )
    task = Notice(
        kind=NoticeKind.task,
        title="报送第四季度网格企业用工情况统计表",
        body="请按附表统计网格内企业年末用工人数、新招录人数和流失人数，经企业确认后报送。",
        due_on=date(2026, 12, 18),
        sender_id=office.id,
        sender_name="梁溪区产改办",
        sent_at=_at(date(2026, 11, 27), 14),
    )
    session.add_all([notice, task])
    session.flush()
    # Neither is read yet: the liaison's page opens on both.
    session.add_all([NoticeTarget(notice_id=n.id, grid_id=grid.id) for n in (notice, task)])
    demands = [
        Demand(
            grid_id=grid.id,
            channel=channel,
            category=category,
            summary=summary,
            received_on=received,
            due_on=add_working_days(received, 10).day,
            state=state,
            created_at=_at(received),
            created_by=f"{grid.name}联络员",
            **STEP_NOTES.get(state, {}),
        )
        for channel, category, summary, received, state in HUAXIA_DEMANDS
    ]
    session.add_all(demands)
    session.flush()
    return {"notices": 2, "demands": len(demands)}
