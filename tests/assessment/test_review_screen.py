"""The quarterly report as the district office's review screen: each indicator beside the
previous quarter and the same quarter last year, flags, evidence counts, approve and return
that ask first, and a report that cannot be changed saying why and whom to ask."""

import re
from html import unescape

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from app.accounts.models import User
from app.assessment.models import Evidence, IndicatorValue, ParkReport, Period, ReportState
from app.core.calendar import default_deadline
from app.core.numbers import amount
from app.core.templating import LOCAL_TZ
from app.framework.models import Indicator, ScoringRule, ValueSource
from app.geo.models import Park, ParkKind
from tests.helpers import table_rows

# 无锡盛阳食品城's 2026 Q3 report waits for 梁溪区's review in the demo; 无锡华夏家居港's is
# approved. Both parks are 梁溪区's.
WAITING, APPROVED = "无锡盛阳食品城", "无锡华夏家居港"
# Columns of the indicator table: indicator, target, this quarter, previous quarter, same
# quarter last year, flags, note, evidence.
VALUE, PREVIOUS, LAST_YEAR, CHECK, EVIDENCE = 2, 3, 4, 5, 7


@pytest.fixture
def parks(session) -> dict[str, Park]:
    return {p.name: p for p in session.exec(select(Park))}


def _period(session, year: int, quarter: int) -> Period:
    return session.exec(select(Period).where(Period.year == year, Period.quarter == quarter)).one()


def _value(session, park: Park, year: int, quarter: int, code: str) -> tuple[float, str]:
    """What the database holds for the park's indicator (by code) in that quarter."""
    return session.exec(
        select(IndicatorValue.value, Indicator.unit)
        .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
        .join(Period, col(Period.id) == IndicatorValue.period_id)
        .where(
            IndicatorValue.park_id == park.id,
            Period.year == year,
            Period.quarter == quarter,
            Indicator.code == code,
        )
    ).one()


def _rows(html: str) -> dict[str, list[str]]:
    return {r[0].split()[0]: r for r in table_rows(html, "report-values")}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _url(park: Park, label: str = "2026Q3") -> str:
    return f"/parks/{park.id}/reports/{label}"


def test_the_review_table_sets_each_indicator_beside_its_earlier_quarters(login, session, parks):
    park = parks[WAITING]
    page = login("district_liangxi").get(_url(park))
    assert page.status_code == 200
    rows = _rows(page.text)
    for code in ("I03", "I04", "I08"):
        shown = [
            amount(*_value(session, park, y, q, code)) for y, q in ((2026, 3), (2026, 2), (2025, 3))
        ]
        assert rows[code][VALUE].startswith(shown[0])
        assert [rows[code][PREVIOUS], rows[code][LAST_YEAR]] == shown[1:]
    # The demo's figures, so a misread column cannot pass: I03 is 8 场 against 12 场.
    assert rows["I03"][1:5] == ["12 场", "8 场", "5 场", "8 场"]
    assert "2026Q2" in page.text and "2025Q3" in page.text

    # Below the annual target (what scoring counts short) is flagged; at target is not.
    assert "低于目标" in rows["I03"][CHECK]
    assert rows["I02"][1:3] == ["100%", "100% 10 个网格中 10 个同时配备联络员和节点企业"]
    assert "低于目标" not in rows["I02"][CHECK] and "低于目标" not in rows["I05"][CHECK]
    # Moves are against the same quarter last year (both counted from January): 2 bases
    # after 1 is +100 %, past the default ±50 %; I03's 8 场 after 8 场 is no move, though
    # the second quarter's 5 场 grew by 60 % on the calendar alone.
    assert "较去年同期 +100%" in rows["I05"][CHECK]
    assert "较去年同期" not in rows["I03"][CHECK] and "较去年同期" not in rows["I09"][CHECK]
    hint = _text(re.search(r'id="review-hint"[^>]*>(.*?)</p>', page.text, re.S).group(1))
    assert "不按季度折算" in hint and "±50%" in hint


def test_the_change_threshold_is_a_setting(app, login, parks):
    app.state.settings = app.state.settings.model_copy(update={"review_change_threshold": 1.5})
    rows = _rows(login("district_liangxi").get(_url(parks[WAITING])).text)
    # +100 % is within ±150 %: no longer flagged, while the shortfall still is.
    assert "较去年同期" not in rows["I05"][CHECK] and "低于目标" in rows["I03"][CHECK]


def test_evidence_is_counted_per_indicator_with_what_is_expected(login, session, parks):
    park, period = parks[WAITING], _period(session, 2026, 3)
    value = session.exec(
        select(IndicatorValue)
        .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
        .where(
            IndicatorValue.park_id == park.id,
            IndicatorValue.period_id == period.id,
            Indicator.code == "I03",
        )
    ).one()
    for name in ("签到表.pdf", "现场照片.png"):
        session.add(
            Evidence(
                value_id=value.id,
                filename=name,
                stored_name=name,
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
            )
        )
    session.flush()
    rows = _rows(login("district_liangxi").get(_url(park)).text)
    assert rows["I03"][EVIDENCE] == "2 份 应附：签到表、照片或通知文件 签到表.pdf 现场照片.png"
    assert rows["I04"][EVIDENCE] == "0 份 应附：签到表、照片或通知文件"
    # A computed value says where it comes from instead.
    assert rows["I01"][EVIDENCE] == "由企业名册计算，无需上传佐证材料"


def test_a_park_sees_the_same_columns_and_above_target_is_not_flagged(login, session, parks):
    park = parks[APPROVED]
    rows = _rows(login("park_huaxia").get(_url(park)).text)
    value, unit = _value(session, park, 2026, 3, "I07")
    assert rows["I07"][1:3] == ["20 项", amount(value, unit)] and value > 20
    # 23 项 against 20 项 is not short; it did move +64.3 % from 2025Q3's 14 项, flagged.
    assert _value(session, park, 2025, 3, "I07")[0] == 14
    assert rows["I07"][CHECK] == "较去年同期 +64.3%"
    assert rows["I03"][VALUE] == "11 场" and "低于目标" in rows["I03"][CHECK]
    assert rows["I03"][PREVIOUS] == amount(*_value(session, park, 2026, 2, "I03"))


def _buttons(html: str) -> dict[str, str]:
    """Button tags by their text."""
    return {
        _text(text): tag for tag, text in re.findall(r"(<button[^>]*>)(.*?)</button>", html, re.S)
    }


def test_approve_is_green_and_return_neutral_and_both_ask_naming_park_and_period(
    login, session, parks
):
    park = parks[WAITING]
    district = login("district_liangxi")
    buttons = _buttons(district.get(_url(park)).text)
    approve, back = buttons["审核通过"], buttons["退回修改"]
    assert 'class="approve"' in approve
    assert 'data-confirm="确认通过 无锡盛阳食品城 2026年第3季度 的季度报告？"' in approve
    assert 'class="neutral"' in back and "danger" not in back
    assert 'data-confirm="确认退回 无锡盛阳食品城 2026年第3季度 的季度报告，要求修改？"' in back
    # The classes look as they say, and the question is asked by app.js (no inline script).
    css = district.get("/static/app.css").text
    assert re.search(r"button\.approve \{ background: var\(--green\); \}", css)
    assert "--green: #2e7d32" in css
    assert "dataset.confirm" in district.get("/static/app.js").text

    # Return still needs its note: refused in Chinese, nothing changed, the table still there.
    resp = district.post(_url(park) + "/return", data={"comment": " "})
    assert resp.status_code == 422
    assert "请说明需要园区修改的内容：对报告或某项指标填写意见。" in _text(resp.text)
    assert "report-values" in resp.text
    session.expire_all()
    report = session.exec(
        select(ParkReport).where(
            ParkReport.park_id == park.id,
            ParkReport.period_id == _period(session, 2026, 3).id,
        )
    ).one()
    assert report.state is ReportState.submitted


def test_an_approved_report_says_who_approved_it_when_and_whom_to_ask(login, session, parks):
    park = parks[APPROVED]
    office = session.exec(select(User).where(User.username == "district_liangxi")).one()
    # The office is named as its account calls itself, not as the review recorded it.
    office.display_name = "梁溪区产业工人队伍建设改革办公室"
    session.add(office)
    session.flush()
    report = session.exec(
        select(ParkReport).where(
            ParkReport.park_id == park.id,
            ParkReport.period_id == _period(session, 2026, 3).id,
        )
    ).one()
    assert report.state is ReportState.approved
    page = login("park_huaxia").get(_url(park)).text
    standing = _text(re.search(r'id="standing"[^>]*>(.*?)</section>', page, re.S).group(1))
    when = report.reviewed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    assert f"本报告已由{report.reviewed_by}于 {when} 审核通过。" in standing
    assert "如需修改，请联系梁溪区产业工人队伍建设改革办公室重新打开。" in standing
    # The demo has no 2026 Q4: it opens when the quarter ends, due 10 working days later.
    due = default_deadline(2026, 4).day
    assert (
        f"下一季度 2026Q4 尚未开放填报：该季度结束后于 2027-01-01 开放，报送截止日期为 {due}"
        in (standing)
    )
    assert 'name="value_' not in page

    # Once 2026 Q4 exists, the page says it is open, with its own deadline and a link.
    session.add(Period(year=2026, quarter=4, deadline=due.replace(day=20), framework_id=None))
    session.flush()
    page = login("park_huaxia").get(_url(park)).text
    standing = _text(re.search(r'id="standing"[^>]*>(.*?)</section>', page, re.S).group(1))
    assert f"下一季度 2026Q4 已开放填报，报送截止日期为 {due.replace(day=20)}。" in standing
    assert re.search(rf'href="[^"]*/parks/{park.id}/reports/2026Q4"', page)


def test_a_submitted_report_says_it_waits_for_the_district_office(login, session, parks):
    park = parks[APPROVED]
    report = session.exec(
        select(ParkReport).where(
            ParkReport.park_id == park.id,
            ParkReport.period_id == _period(session, 2026, 3).id,
        )
    ).one()
    report.state = ReportState.submitted
    session.add(report)
    session.flush()
    page = login("park_huaxia").get(_url(park)).text
    standing = _text(re.search(r'id="standing"[^>]*>(.*?)</section>', page, re.S).group(1))
    when = report.submitted_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    assert f"本报告已由{report.submitted_by}于 {when} 报送，等待梁溪区产改办审核。" in standing
    assert "如需在审核前修改，请联系梁溪区产改办退回。" in standing


def test_an_editable_report_gives_no_reason_and_keeps_its_form(login, session, parks):
    park = parks[APPROVED]
    report = session.exec(
        select(ParkReport).where(
            ParkReport.park_id == park.id,
            ParkReport.period_id == _period(session, 2026, 3).id,
        )
    ).one()
    report.state = ReportState.reopened
    session.add(report)
    session.flush()
    client = login("park_huaxia")
    page = client.get(_url(park)).text
    assert 'id="standing"' not in page and 'name="value_' in page
    # Bad input keeps answering as before: the field named in Chinese, 422, the table kept.
    i03 = session.exec(
        select(Indicator).where(
            Indicator.framework_id == _period(session, 2026, 3).framework_id,
            Indicator.code == "I03",
        )
    ).one()
    resp = client.post(_url(park), data={f"value_{i03.id}": "很多"})
    assert resp.status_code == 422
    assert "I03 思想引领宣讲活动场次必须是数字" in _text(resp.text)
    assert "report-values" in resp.text


def test_the_reports_list_names_the_open_period_and_its_deadline(login, session):
    client = login("park_huaxia")
    latest = _period(session, 2026, 3)
    top = _text(
        re.search(r'id="open-period"[^>]*>(.*?)</p>', client.get("/reports").text, re.S).group(1)
    )
    assert top == f"正在填报： 2026年第3季度 ，报送截止： {latest.deadline}"
    due = default_deadline(2026, 4).day
    session.add(Period(year=2026, quarter=4, deadline=due, framework_id=latest.framework_id))
    session.flush()
    top = _text(
        re.search(r'id="open-period"[^>]*>(.*?)</p>', client.get("/reports").text, re.S).group(1)
    )
    assert top == f"正在填报： 2026年第4季度 ，报送截止： {due}"


def _statements(client, connection, path: str) -> int:
    client.get(path)  # warm what is cached per process
    n = 0

    def count(*_args):
        nonlocal n
        n += 1

    event.listen(connection, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return n


def test_the_report_page_reads_as_much_with_more_indicators_and_parks(
    login, session, connection, parks
):
    park = parks[WAITING]
    client = login("district_liangxi")
    before = _statements(client, connection, _url(park))

    # Four more reported indicators in 2025's and 2026's frameworks (same codes), with
    # values and evidence in the three quarters the page compares, and four more parks of
    # the same district with values of their own.
    quarters = [_period(session, y, q) for y, q in ((2026, 3), (2026, 2), (2025, 3))]
    template = {
        p.framework_id: session.exec(
            select(Indicator).where(Indicator.framework_id == p.framework_id)
        ).first()
        for p in quarters
    }
    added: dict[int, list[Indicator]] = {}
    for framework_id, like in template.items():
        for k in range(4):
            ind = Indicator(
                framework_id=framework_id,
                aspect_id=like.aspect_id,
                code=f"X{k}",
                name=f"测试指标{k}",
                unit="场",
                source=ValueSource.park_report,
                target=10,
                weight=1,
                rule=ScoringRule.linear,
                sort_order=100 + k,
            )
            session.add(ind)
            added.setdefault(framework_id, []).append(ind)
    more = [
        Park(name=f"梁溪测试园区{k}", area_id=park.area_id, kind=ParkKind.market) for k in range(4)
    ]
    session.add_all(more)
    session.flush()
    for p in quarters:
        for target in [park, *more]:
            for ind in added[p.framework_id]:
                session.add(
                    IndicatorValue(
                        park_id=target.id,
                        period_id=p.id,
                        indicator_id=ind.id,
                        value=3,
                        origin="reported",
                    )
                )
    session.flush()
    value = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.park_id == park.id,
            IndicatorValue.period_id == quarters[0].id,
            IndicatorValue.indicator_id == added[quarters[0].framework_id][0].id,
        )
    ).one()
    session.add(
        Evidence(
            value_id=value.id,
            filename="签到表.pdf",
            stored_name="x",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
        )
    )
    session.flush()

    after = _statements(client, connection, _url(park))
    rows = _rows(client.get(_url(park)).text)
    assert rows["X0"][VALUE : LAST_YEAR + 1] == ["3 场", "3 场", "3 场"]
    assert rows["X0"][EVIDENCE].startswith("1 份")
    assert after == before


def test_a_first_quarter_compares_with_last_years_total_and_flags_no_change(login, session, parks):
    park = parks[WAITING]
    page = login("district_liangxi").get(_url(park, "2026Q1")).text
    rows = _rows(page)
    # Values are cumulative: Q1's previous figure is 2025's total (Q4), not a quarter's.
    assert rows["I03"][PREVIOUS] == amount(*_value(session, park, 2025, 4, "I03"))
    assert rows["I03"][LAST_YEAR] == amount(*_value(session, park, 2025, 1, "I03"))
    assert "2025Q4" in page and "第一季度的“上季度”为上年全年累计" in page
    # Moves are flagged in a first quarter too, against last year's first quarter: here
    # only I05, 2 bases after 1.
    assert [code for code, r in rows.items() if "较去年同期" in r[CHECK]] == ["I05"]


def test_short_is_what_scoring_counts_short():
    from app.assessment.reports.review import _short
    from app.assessment.reports.service import Row

    def row(value, target, rule=ScoringRule.linear, weight=8.0, params=None):
        ind = Indicator(
            framework_id=1,
            aspect_id=1,
            code="T",
            name="t",
            unit="场",
            source=ValueSource.park_report,
            target=target,
            weight=weight,
            rule=rule,
            rule_params=params or {},
        )
        v = IndicatorValue(park_id=1, period_id=1, indicator_id=1, value=value, origin="reported")
        return Row(ind, v, False, target, "", [])

    assert _short(row(8, 12)) and not _short(row(12, 12)) and not _short(row(13, 12))
    # Lower is better: above the target is short.
    assert _short(row(3, 2, ScoringRule.lower_better)) and not _short(
        row(2, 2, ScoringRule.lower_better)
    )
    # Steps: short until the step that gives the whole weight.
    steps = {"steps": [[50, 0.5], [100, 1.0]]}
    assert _short(row(80, 100, ScoringRule.steps, params=steps))
    assert not _short(row(100, 100, ScoringRule.steps, params=steps))
    # A weightless indicator is compared with its target.
    assert _short(row(1, 2, weight=0)) and not _short(row(2, 2, weight=0))


def test_a_published_year_says_so_and_an_office_without_account_is_named_by_district(
    login, session, parks
):
    from app.assessment.models import YearPublication

    park = parks[APPROVED]
    office = session.exec(select(User).where(User.username == "district_liangxi")).one()
    # A closed account is nobody to ask: the office is named after its district instead.
    office.display_name, office.is_active = "梁溪区产改办（已停用）", False
    session.add(office)
    session.flush()
    page = login("park_huaxia").get(_url(park)).text
    standing = _text(re.search(r'id="standing"[^>]*>(.*?)</section>', page, re.S).group(1))
    assert "如需修改，请联系梁溪区产改办重新打开。" in standing and "已停用" not in standing

    session.add(YearPublication(year=2026, published_by="city_admin"))
    session.flush()
    page = login("park_huaxia").get(_url(park)).text
    standing = _text(re.search(r'id="standing"[^>]*>(.*?)</section>', page, re.S).group(1))
    assert standing.endswith("2026 年度结果已发布，该年度数据不再变更。")
    assert "下一季度" not in standing
