"""Quarterly reporting and review: a whole year of one park, wrong moves refused, evidence."""

import hashlib
import re
from html import unescape

import pytest
from sqlmodel import col, select

from app.assessment.models import (
    Evidence,
    IndicatorValue,
    ParkReport,
    Period,
    ReportState,
    Score,
    ValueOrigin,
)
from app.assessment.results import scores
from app.audit.models import AuditLog
from app.core.calendar import default_deadline
from app.framework import service as framework_service
from app.framework.models import Indicator
from app.geo.models import Park
from tests.helpers import table_rows

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def q4(session) -> Period:
    """A fresh 2026 Q4 with no report yet, scored by the 2026 framework."""
    fw = framework_service.for_year(session=session, year=2026)
    period = Period(
        year=2026, quarter=4, deadline=default_deadline(2026, 4).day, framework_id=fw.id
    )
    session.add(period)
    session.flush()
    return period


@pytest.fixture
def huaxia(session) -> Park:
    return session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()


def _reported(session, period) -> list[Indicator]:
    from app.assessment.results import measures

    inds = session.exec(
        select(Indicator)
        .where(Indicator.framework_id == period.framework_id)
        .order_by(col(Indicator.sort_order))
    ).all()
    return [i for i in inds if not measures.is_computed(i.measure)]


def _values_form(session, period, scale=1.0) -> dict:
    return {f"value_{i.id}": str(round(i.target * scale, 1)) for i in _reported(session, period)}


def _state(session, park, period) -> ReportState:
    session.expire_all()
    return session.exec(
        select(ParkReport.state).where(
            ParkReport.park_id == park.id, ParkReport.period_id == period.id
        )
    ).one()


def _url(park, period, action=""):
    return f"/parks/{park.id}/reports/{period.label}" + (f"/{action}" if action else "")


def test_a_whole_year_of_one_park(login, session, q4, huaxia):
    park, district = login("park_huaxia"), login("district_liangxi")

    # Draft: the park fills its values at 80 % of target and saves.
    resp = park.post(_url(huaxia, q4), data=_values_form(session, q4, 0.8), follow_redirects=False)
    assert resp.status_code == 303 and _state(session, huaxia, q4) is ReportState.draft
    # Computed values were filled in from the roster, with the rows they came from.
    computed = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.park_id == huaxia.id,
            IndicatorValue.period_id == q4.id,
            IndicatorValue.origin == ValueOrigin.computed,
        )
    ).all()
    assert len(computed) == 5 and all(v.basis for v in computed)

    # Reported values do not count while the report is a draft.
    draft_base = session.exec(
        select(Score.base).where(Score.park_id == huaxia.id, Score.period_id == q4.id)
    ).one()
    assert draft_base <= 44  # the five computed indicators weigh 44 together
    assert park.post(_url(huaxia, q4, "submit"), follow_redirects=False).status_code == 303
    assert _state(session, huaxia, q4) is ReportState.submitted
    session.expire_all()
    submitted_base = session.exec(
        select(Score.base).where(Score.park_id == huaxia.id, Score.period_id == q4.id)
    ).one()
    assert submitted_base > draft_base

    # The district returns it with a question on one indicator.
    first = _reported(session, q4)[0]
    resp = district.post(
        _url(huaxia, q4, "return"),
        data={"comment": "请补充佐证", f"comment_{first.id}": "场次偏少，请核实"},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and _state(session, huaxia, q4) is ReportState.returned
    page = park.get(_url(huaxia, q4)).text
    assert "请补充佐证" in page and "场次偏少，请核实" in page

    # The park corrects and resubmits; the district approves.
    park.post(_url(huaxia, q4), data=_values_form(session, q4, 1.0))
    park.post(_url(huaxia, q4, "submit"))
    assert _state(session, huaxia, q4) is ReportState.submitted
    district.post(_url(huaxia, q4, "approve"))
    assert _state(session, huaxia, q4) is ReportState.approved

    # Approved is locked: the park cannot change it.
    locked = park.post(_url(huaxia, q4), data=_values_form(session, q4, 0.5))
    assert locked.status_code == 409 and "区产改办" in locked.text

    # The district reopens it (with a reason), the park resubmits, the district approves.
    assert district.post(_url(huaxia, q4, "reopen"), data={"reason": ""}).status_code == 422
    district.post(_url(huaxia, q4, "reopen"), data={"reason": "年终数据复核"})
    assert _state(session, huaxia, q4) is ReportState.reopened
    park.post(_url(huaxia, q4, "submit"))
    district.post(_url(huaxia, q4, "approve"))
    assert _state(session, huaxia, q4) is ReportState.approved

    report = session.exec(
        select(ParkReport).where(ParkReport.park_id == huaxia.id, ParkReport.period_id == q4.id)
    ).one()
    trail = session.exec(
        select(AuditLog)
        .where(AuditLog.object_type == "ParkReport", AuditLog.object_id == report.id)
        .order_by(col(AuditLog.id))
    ).all()
    moves = [(r.username, r.before["state"], r.after["state"]) for r in trail]
    assert moves == [
        ("park_huaxia", "draft", "submitted"),
        ("district_liangxi", "submitted", "returned"),
        ("park_huaxia", "returned", "submitted"),
        ("district_liangxi", "submitted", "approved"),
        ("district_liangxi", "approved", "reopened"),
        ("park_huaxia", "reopened", "submitted"),
        ("district_liangxi", "submitted", "approved"),
    ]
    # Seven state changes and two accepted saves of values, each moving the version on
    # (a refused save moves nothing).
    assert report.version == 10


def test_wrong_moves_are_refused(login, session, q4, huaxia):
    park = login("park_huaxia")
    park.post(_url(huaxia, q4), data=_values_form(session, q4))
    # Approving a draft, and anyone approving who does not review this park.
    assert login("district_liangxi").post(_url(huaxia, q4, "approve")).status_code == 409
    park.post(_url(huaxia, q4, "submit"))
    assert login("liaison_huaxia_1").post(_url(huaxia, q4, "approve")).status_code == 404
    assert park.post(_url(huaxia, q4, "approve")).status_code == 404
    assert login("leader").post(_url(huaxia, q4, "approve")).status_code == 404
    # A district office outside the park's district cannot see it at all.
    assert (
        login("city_admin").post(_url(huaxia, q4, "approve"), follow_redirects=False).status_code
        == 303
    )
    # Only the park fills its report: not its district, not a liaison.
    assert (
        login("district_liangxi").post(_url(huaxia, q4), data=_values_form(session, q4)).status_code
        == 404
    )
    assert login("liaison_huaxia_1").post(_url(huaxia, q4, "submit")).status_code == 404
    assert _state(session, huaxia, q4) is ReportState.approved


def test_a_stale_form_is_a_409(login, session, q4, huaxia):
    park = login("park_huaxia")
    park.post(_url(huaxia, q4), data=_values_form(session, q4))
    form = park.get(_url(huaxia, q4)).text
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    park.post(_url(huaxia, q4, "submit"), data={"version": version})
    login("district_liangxi").post(_url(huaxia, q4, "return"), data={"comment": "请核实"})
    again = park.post(_url(huaxia, q4, "submit"), data={"version": version})
    assert again.status_code == 409 and "其他人修改" in again.text


@pytest.mark.parametrize(("raw", "message"), [("很多", "必须是数字"), ("-3", "不能小于 0")])
def test_bad_values_name_the_indicator_and_save_nothing(login, session, q4, huaxia, raw, message):
    park = login("park_huaxia")
    form = _values_form(session, q4)
    bad = _reported(session, q4)[-1]
    form[f"value_{bad.id}"] = raw
    resp = park.post(_url(huaxia, q4), data=form)
    assert resp.status_code == 422
    assert f"{bad.code} {bad.name}" in resp.text and message in resp.text
    assert session.exec(select(IndicatorValue).where(IndicatorValue.period_id == q4.id)).all() == []


def test_a_percentage_above_100_is_refused(login, session, q4, huaxia):
    pct = next(i for i in _reported(session, q4) if i.unit == "%")
    form = _values_form(session, q4) | {f"value_{pct.id}": "120"}
    resp = login("park_huaxia").post(_url(huaxia, q4), data=form)
    assert resp.status_code == 422 and "不能大于 100" in resp.text


def test_submitting_with_missing_values_names_them(login, session, q4, huaxia):
    resp = login("park_huaxia").post(_url(huaxia, q4, "submit"))
    assert resp.status_code == 422 and "尚未填报" in resp.text and "I12" in resp.text
    assert session.exec(select(ParkReport).where(ParkReport.period_id == q4.id)).all() == []


def test_evidence_is_checked_stored_by_hash_and_served_in_scope(
    login, session, q4, huaxia, app, tmp_path
):
    app.state.settings.evidence_dir = tmp_path
    park = login("park_huaxia")
    park.post(_url(huaxia, q4), data=_values_form(session, q4))
    ind = _reported(session, q4)[0]
    ok = park.post(
        _url(huaxia, q4, "evidence"),
        data={"indicator_id": str(ind.id)},
        files={"file": ("签到表.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    ev = session.exec(select(Evidence)).one()
    digest = hashlib.sha256(PDF).hexdigest()
    assert (
        ev.stored_name == f"{digest}.pdf"
        and (tmp_path / digest[:2] / ev.stored_name).read_bytes() == PDF
    )

    got = login("district_liangxi").get(f"/evidence/{ev.id}")
    assert got.status_code == 200 and got.content == PDF
    assert "filename*=UTF-8''%E7%AD%BE%E5%88%B0%E8%A1%A8.pdf" in got.headers["content-disposition"]
    other = session.exec(select(Park).where(Park.name == "无锡惠山高新技术产业创业服务中心")).one()
    assert other.id != huaxia.id
    assert login("liaison_huaxia_1").get(f"/evidence/{ev.id}").status_code == 200  # views the park

    # A program renamed to .pdf, and an oversize file, are refused with the reason.
    fake = park.post(
        _url(huaxia, q4, "evidence"),
        data={"indicator_id": str(ind.id)},
        files={"file": ("报告.pdf", b"MZ\x90\x00not a pdf", "application/pdf")},
    )
    assert fake.status_code == 422 and "只接受" in fake.text
    app.state.settings.evidence_max_mb = 0
    big = park.post(
        _url(huaxia, q4, "evidence"),
        data={"indicator_id": str(ind.id)},
        files={"file": ("大文件.pdf", PDF, "application/pdf")},
    )
    assert big.status_code == 422
    assert len(session.exec(select(Evidence)).all()) == 1


def test_evidence_out_of_scope_is_404(login, session, q4, huaxia, app, tmp_path):
    app.state.settings.evidence_dir = tmp_path
    park = login("park_huaxia")
    park.post(_url(huaxia, q4), data=_values_form(session, q4))
    ind = _reported(session, q4)[0]
    park.post(
        _url(huaxia, q4, "evidence"),
        data={"indicator_id": str(ind.id)},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    ev = session.exec(select(Evidence)).one()
    from fastapi.testclient import TestClient

    from tests.helpers import log_in

    with TestClient(app) as outsider:
        log_in(outsider, "city_admin", "parkgrid-demo")
        assert outsider.get(f"/evidence/{ev.id}").status_code == 200
    # A district office of another district: create one on the fly.
    admin = login("city_admin")
    from app.geo.models import Area

    huishan = session.exec(select(Area).where(Area.name == "惠山区")).one()
    admin.post(
        "/admin/users",
        data={
            "username": "huishan_office",
            "display_name": "惠山区产改办",
            "role": "district_office",
            "scope": f"area:{huishan.id}",
            "password": "Huishan-office-2026-kept",
        },
    )
    assert (
        login("huishan_office", "Huishan-office-2026-kept").get(f"/evidence/{ev.id}").status_code
        == 404
    )


def test_recomputing_every_demo_score_gives_the_stored_numbers(session):
    for period in session.exec(select(Period)).all():
        stored = {
            s.park_id: s for s in session.exec(select(Score).where(Score.period_id == period.id))
        }
        assert len(stored) == 15
        for o in scores.compute(session, period).parks:
            s = stored[o.park_id]
            assert (s.total, s.base, s.adjustment, s.tier, s.rank_city, s.rank_district) == (
                o.total,
                o.base,
                o.adjustment,
                o.tier,
                o.rank_city,
                o.rank_district,
            )
            assert {int(k): v for k, v in s.points.items()} == o.points


def test_every_explanation_adds_up_to_the_score(login, session):
    c = login("city_admin")
    latest = session.exec(
        select(Period).order_by(col(Period.year).desc(), col(Period.quarter).desc())
    ).first()
    for park in session.exec(select(Park)).all():
        html = c.get(f"/parks/{park.id}/explain?period={latest.label}").text
        points = [float(x.replace(",", "")) for x in re.findall(r"data-points>([\d.,]+)<", html)]
        adjustments = [float(x) for x in re.findall(r"data-adjustment>(-?[\d.]+)<", html)]
        total = float(re.search(r"data-total>([\d.,]+)<", html).group(1).replace(",", ""))
        stored = session.exec(
            select(Score).where(Score.park_id == park.id, Score.period_id == latest.id)
        ).one()
        assert len(points) == 12
        assert round(sum(points), 2) == stored.base
        assert round(max(sum(points) + sum(adjustments), 0), 2) == total == stored.total


def test_reports_page_counts_completeness_and_timeliness(login, session):
    latest = session.exec(
        select(Period).order_by(col(Period.year).desc(), col(Period.quarter).desc())
    ).first()
    reports = session.exec(select(ParkReport).where(ParkReport.period_id == latest.id)).all()
    submitted = [r for r in reports if r.first_submitted_at]
    on_time = [r for r in submitted if not scores.is_late(r, latest.deadline)]
    approved = [r for r in reports if r.state is ReportState.approved]
    html = login("city_admin").get(f"/reports?period={latest.label}").text
    city = re.search(r"<tfoot><tr><th>全市</th>(.*?)</tr></tfoot>", html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", city)]
    assert cells[:4] == ["15", str(len(submitted)), str(len(on_time)), str(len(approved))]
    assert 0 < len(approved) < len(submitted) < 15
    # A district office's worklist holds its own parks, the waiting ones marked for it.
    district = login("district_liangxi").get(f"/reports?period={latest.label}").text
    names = [r[0] for r in table_rows(district, "worklist")]
    assert sorted(names) == ["无锡华夏家居港", "无锡盛阳食品城"]


def test_late_first_submissions_are_deducted(session):
    from app.framework.models import Adjustment, AdjustmentKind, AdjustmentSource

    period = session.exec(select(Period).where(Period.year == 2025, Period.quarter == 4)).one()
    fw_id = period.framework_id
    session.add(
        Adjustment(
            framework_id=fw_id,
            code="DX1",
            name="逾期报送",
            kind=AdjustmentKind.deduction,
            source=AdjustmentSource.late_reports,
            points=1,
            cap=5,
        )
    )
    session.flush()
    inputs = scores.gather(session, period)
    late = {pid: n for pid, n in inputs.late.items() if n}
    assert late  # the lagging parks missed deadlines in 2025
    out = {o.park_id: o for o in scores.compute(session, period, inputs).parks}
    for pid, n in late.items():
        assert out[pid].adjustment <= -min(n, 5) + 1e-9
        assert out[pid].total == round(max(out[pid].base + out[pid].adjustment, 0), 2)


def test_publishing_a_year_freezes_it(login, session):
    from app.assessment.models import YearPublication

    admin = login("city_admin")
    assert login("district_liangxi").post("/years/2025/publish").status_code == 404
    assert admin.post("/years/2026/publish").status_code == 409  # no 2026 Q4 yet
    assert admin.post("/years/2025/publish", follow_redirects=False).status_code == 303
    assert session.exec(select(YearPublication.year)).all() == [2025]
    q4 = session.exec(select(Period).where(Period.year == 2025, Period.quarter == 4)).one()
    huaxia = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    resp = login("district_liangxi").post(_url(huaxia, q4, "reopen"), data={"reason": "复核"})
    assert resp.status_code == 409 and "已发布" in resp.text
    fw = framework_service.for_year(session=session, year=2025)
    page = admin.post(f"/frameworks/{fw.id}/tiers", data={})
    assert page.status_code == 409 and "已发布" in page.text


def test_a_park_with_no_report_reads_not_started_not_draft(login, session):
    # The demo's 无锡综合保税区 has no report for 2026Q3; a draft badge would say it began one.
    park = session.exec(select(Park).where(Park.name == "无锡综合保税区")).one()
    period = session.exec(select(Period).where(Period.year == 2026, Period.quarter == 3)).one()
    assert not session.exec(
        select(ParkReport).where(ParkReport.park_id == park.id, ParkReport.period_id == period.id)
    ).all()
    rows = {
        r[0]: r
        for r in table_rows(login("city_admin").get("/reports?period=2026Q3").text, "worklist")
    }
    assert rows["无锡综合保税区"][2] == "未填报"
    assert rows["无锡华夏家居港"][2].startswith("已")


def test_the_reports_history_shows_what_the_park_changed_after_a_return(login, session, q4, huaxia):
    park, district = login("park_huaxia"), login("district_liangxi")
    park.post(_url(huaxia, q4), data=_values_form(session, q4, 0.8), follow_redirects=False)
    park.post(_url(huaxia, q4, "submit"), follow_redirects=False)
    district.post(_url(huaxia, q4, "return"), data={"comment": "请核实"}, follow_redirects=False)
    # The park corrects one value: the reviewer reads that change in the report's history.
    i03 = next(i for i in _reported(session, q4) if i.code == "I03")
    form = _values_form(session, q4, 0.8) | {f"value_{i03.id}": "11"}
    park.post(_url(huaxia, q4), data=form, follow_redirects=False)
    page = district.get(_url(huaxia, q4)).text
    history = unescape(re.sub(r"<[^>]+>", " ", page[page.index('class="history"') :]))
    history = " ".join(history.split())
    before = f"{round(i03.target * 0.8, 1):g}"
    assert f"I03 {i03.name}" in history
    assert re.search(rf"{before}\S* → 11", history), history
    assert "已退回" in history
