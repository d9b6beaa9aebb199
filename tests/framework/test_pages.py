"""The framework editor in the browser: what the city office sees, posts and gets back."""

import re
from html.parser import HTMLParser

import pytest
from sqlmodel import col, select

from app.audit.models import AuditAction, AuditLog
from app.framework import service
from app.framework.models import Framework
from app.geo.models import Park
from tests.helpers import kpi, table_rows

HX = {"HX-Request": "true"}


class _Form(HTMLParser):
    """The fields a browser would submit from the form posting to `action`."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self._select: str | None = None
        self._first: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action", "").endswith(self.action)
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first = a.get("name"), None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
                self.fields.setdefault(self._select, self._first)
            if "selected" in a:
                self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = _Form(action)
    parser.feed(html)
    assert parser.fields, f"no form posting to {action}"
    return parser.fields


def row_of(fields: dict[str, str], code: str) -> str:
    """The field prefix ("rows-3-") of the row whose code is `code`."""
    (name,) = [k for k, v in fields.items() if k.endswith("-code") and v == code]
    return name.removesuffix("code")


@pytest.fixture
def client(login):
    return login("city_admin")


def _fw(session, year: int) -> Framework:
    return service.for_year(session=session, year=year)


@pytest.fixture
def fresh(client, session) -> Framework:
    """2027's framework, copied from 2026 through the copy form: nobody has reported on it."""
    src = _fw(session, 2026)
    resp = client.post(
        "/frameworks/copy", data={"source_id": str(src.id), "year": "2027"}, follow_redirects=False
    )
    assert resp.status_code == 303
    fw = _fw(session, 2027)
    assert resp.headers["location"].endswith(f"/frameworks/{fw.id}?saved=copy")
    return fw


def test_the_city_office_finds_the_frameworks_in_its_menu_and_others_do_not(login):
    city = login("city_admin")
    assert '<a href="http://testserver/frameworks">考核框架</a>' in city.get("/").text
    district = login("district_liangxi")
    assert "考核框架" not in district.get("/").text
    assert district.get("/frameworks").status_code == 404


def test_the_list_shows_each_year_with_its_version_weights_and_state(client, session):
    page = client.get("/frameworks")
    assert page.status_code == 200
    rows = table_rows(page.text, "frameworks")
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("2026", "1", "2026年度考核指标", "100"),
        ("2025", "1", "2025年度考核指标", "100"),
        ("2024", "1", "2024年度考核指标", "100"),
    ]
    locked = service.locked_ids(session=session)
    for r, fw in zip(rows, service.frameworks(session=session), strict=True):
        assert r[6] == ("已锁定" if fw.id in locked else "可编辑")
    assert "2026Q1、2026Q2、2026Q3" in rows[0][5]


def test_the_framework_page_shows_indicators_weights_tiers_and_items(client, fresh):
    page = client.get(f"/frameworks/{fresh.id}?saved=copy")
    assert page.status_code == 200
    assert "考核框架已复制。" in page.text
    assert kpi(page.text, "state") == "可编辑"
    assert kpi(page.text, "weight-sum") == "100"
    fields = form_fields(page.text, f"/frameworks/{fresh.id}/indicators")
    i03 = row_of(fields, "I03")
    assert (fields[i03 + "name"], fields[i03 + "target"], fields[i03 + "weight"]) == (
        "思想引领宣讲活动场次",
        "12",
        "8",
    )
    assert fields[i03 + "rule"] == "linear"
    tiers = form_fields(page.text, f"/frameworks/{fresh.id}/tiers")
    assert [tiers[f"rows-{i}-min_score"] for i in range(4)] == ["90", "75", "60", "0"]
    items = form_fields(page.text, f"/frameworks/{fresh.id}/adjustments")
    assert (items["rows-0-code"], items["rows-0-points"], items["rows-0-cap"]) == ("D01", "1", "5")
    assert (items["rows-1-code"], items["rows-1-kind"], items["rows-1-points"]) == (
        "B01",
        "bonus",
        "2",
    )


def test_weights_adding_up_to_99_are_refused_with_the_sum_and_the_form_kept(client, session, fresh):
    page = client.get(f"/frameworks/{fresh.id}").text
    fields = form_fields(page, f"/frameworks/{fresh.id}/indicators")
    fields[row_of(fields, "I01") + "weight"] = "11"

    resp = client.post(f"/frameworks/{fresh.id}/indicators", data=fields)
    assert resp.status_code == 422 and "<html" in resp.text
    assert "权重合计为 99，应为 100。" in resp.text
    assert kpi(resp.text, "weight-sum") == "99"
    # What the user typed is still there to correct.
    again = form_fields(resp.text, f"/frameworks/{fresh.id}/indicators")
    assert again[row_of(again, "I01") + "weight"] == "11"

    partial = client.post(f"/frameworks/{fresh.id}/indicators", data=fields, headers=HX)
    assert partial.status_code == 422 and "<html" not in partial.text
    assert 'id="framework-editor"' in partial.text and "权重合计为 99，应为 100。" in partial.text

    session.expire_all()
    weights = {i.code: i.weight for i in service.indicators(session=session, framework_id=fresh.id)}
    assert weights["I01"] == 12 and sum(weights.values()) == 100


def test_a_weight_change_that_keeps_100_is_saved_shown_and_in_the_history(client, session, fresh):
    page = client.get(f"/frameworks/{fresh.id}").text
    fields = form_fields(page, f"/frameworks/{fresh.id}/indicators")
    fields[row_of(fields, "I01") + "weight"] = "11"
    fields[row_of(fields, "I02") + "weight"] = "9"

    resp = client.post(f"/frameworks/{fresh.id}/indicators", data=fields, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].endswith(f"/frameworks/{fresh.id}?saved=indicators")

    page = client.get(resp.headers["location"]).text
    assert "指标已保存。" in page and kpi(page, "weight-sum") == "100"
    shown = form_fields(page, f"/frameworks/{fresh.id}/indicators")
    assert (shown[row_of(shown, "I01") + "weight"], shown[row_of(shown, "I02") + "weight"]) == (
        "11",
        "9",
    )
    history = page[page.index("变更记录") :]
    # The item by its kind and name, the field by its label, numbers as typed.
    assert "修改 指标 I01 企业产改参与率</span>" in history
    assert "<code>权重</code>：<del>12</del> → <ins>11</ins>" in history

    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.object_type == "Indicator", AuditLog.action == AuditAction.update)
        .order_by(col(AuditLog.id))
    ).all()
    assert [(r.username, r.before["weight"], r.after["weight"]) for r in rows] == [
        ("city_admin", 12, 11),
        ("city_admin", 8, 9),
    ]


def test_an_htmx_save_swaps_the_editor_in_place(client, session, fresh):
    page = client.get(f"/frameworks/{fresh.id}").text
    fields = form_fields(page, f"/frameworks/{fresh.id}/tiers")
    fields["rows-0-name"] = "优秀"
    resp = client.post(f"/frameworks/{fresh.id}/tiers", data=fields, headers=HX)
    assert resp.status_code == 200 and "<html" not in resp.text
    assert "等次已保存。" in resp.text
    assert form_fields(resp.text, f"/frameworks/{fresh.id}/tiers")["rows-0-name"] == "优秀"
    assert service.tiers(session=session, framework_id=fresh.id)[0].name == "优秀"


def test_editing_a_locked_framework_saves_version_2_and_says_which_periods_move(client, session):
    v1 = _fw(session, 2026)
    if not service.is_locked(session=session, framework_id=v1.id):
        pytest.skip("the demo has no submitted 2026 report")
    page = client.get(f"/frameworks/{v1.id}").text
    assert kpi(page, "state") == "已锁定"
    assert "保存修改将生成第 2 版" in page
    fields = form_fields(page, f"/frameworks/{v1.id}/indicators")
    fields[row_of(fields, "I01") + "weight"] = "10"
    fields[row_of(fields, "I02") + "weight"] = "10"

    resp = client.post(f"/frameworks/{v1.id}/indicators", data=fields, follow_redirects=False)
    assert resp.status_code == 303
    v2 = _fw(session, 2026)
    assert v2.version == 2
    assert resp.headers["location"].endswith(f"/frameworks/{v2.id}?saved=indicators&version=new")
    page = client.get(resp.headers["location"]).text
    assert "第 1 版已有园区报送，您的修改已保存为第 2 版。" in page
    submitted_on_v1 = "、".join(
        p.label for p in service.periods_of(session=session, framework_id=v1.id)
    )
    assert f"仍按第 1 版评分的季度：{submitted_on_v1 or '—'}。" in page
    shown = form_fields(page, f"/frameworks/{v2.id}/indicators")
    assert shown[row_of(shown, "I01") + "weight"] == "10"

    # Version 1 stays as it was, read-only, pointing to version 2.
    old = client.get(f"/frameworks/{v1.id}").text
    assert kpi(old, "state") == "已由第 2 版取代"
    assert "保存指标" not in old
    session.expire_all()
    assert {i.code: i.weight for i in service.indicators(session=session, framework_id=v1.id)}[
        "I01"
    ] == 12
    rows = table_rows(client.get("/frameworks").text, "frameworks")
    assert [(r[0], r[1], r[6]) for r in rows[:2]] == [
        ("2026", "2", "可编辑"),
        ("2026", "1", "已由第 2 版取代"),
    ]

    # Posting to version 1 again is refused, naming the version to use.
    again = client.post(f"/frameworks/{v1.id}/indicators", data=fields)
    assert again.status_code == 422 and "第 1 版已由第 2 版取代，请在第 2 版上修改。" in again.text


def test_an_htmx_save_that_makes_a_new_version_sends_the_browser_there(client, session):
    v1 = _fw(session, 2026)
    if not service.is_locked(session=session, framework_id=v1.id):
        pytest.skip("the demo has no submitted 2026 report")
    fields = form_fields(client.get(f"/frameworks/{v1.id}").text, f"/frameworks/{v1.id}/tiers")
    fields["rows-3-min_score"] = "0"
    fields["rows-2-min_score"] = "65"
    resp = client.post(f"/frameworks/{v1.id}/tiers", data=fields, headers=HX)
    v2 = _fw(session, 2026)
    assert resp.status_code == 200 and v2.version == 2
    assert resp.headers["HX-Redirect"].endswith(f"/frameworks/{v2.id}?saved=tiers&version=new")


def test_bad_steps_are_refused_naming_the_indicator_and_the_bad_part(client, fresh):
    page = client.get(f"/frameworks/{fresh.id}").text
    fields = form_fields(page, f"/frameworks/{fresh.id}/indicators")
    i03 = row_of(fields, "I03")
    fields[i03 + "rule"] = "steps"
    fields[i03 + "steps"] = "6:0.5, 12-1"
    resp = client.post(f"/frameworks/{fresh.id}/indicators", data=fields, headers=HX)
    assert resp.status_code == 422
    assert "I03 的分档“12-1”写法有误" in resp.text
    assert re.search(rf'name="{i03}steps" value="6:0.5, 12-1"[^>]*aria-invalid="true"', resp.text)
    # Only that box is marked, not the same row of the other sheets.
    assert resp.text.count('aria-invalid="true"') == 1

    fields[i03 + "steps"] = "6:0.5, 12:1"
    ok = client.post(f"/frameworks/{fresh.id}/indicators", data=fields, headers=HX)
    assert ok.status_code == 200
    shown = form_fields(ok.text, f"/frameworks/{fresh.id}/indicators")
    assert (shown[i03 + "rule"], shown[i03 + "steps"]) == ("steps", "6:0.5, 12:1")


def test_a_park_target_needs_a_reason_then_shows_beside_the_default(client, session, fresh):
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    i04 = service.indicators(session=session, framework_id=fresh.id)[3]
    page = client.get(f"/frameworks/{fresh.id}").text
    fields = form_fields(page, f"/frameworks/{fresh.id}/overrides")
    fields |= {
        "rows-0-park_id": str(park.id),
        "rows-0-indicator_id": str(i04.id),
        "rows-0-target": "20",
    }

    resp = client.post(f"/frameworks/{fresh.id}/overrides", data=fields)
    assert resp.status_code == 422 and "第 1 行的原因不能为空。" in resp.text
    assert service.overrides(session=session, framework_id=fresh.id) == []

    fields["rows-0-reason"] = "家居卖场职工流动性大"
    resp = client.post(f"/frameworks/{fresh.id}/overrides", data=fields)
    assert resp.status_code == 200  # followed the redirect
    rows = table_rows(resp.text, "overrides")
    assert rows[0][2] == "30"  # the default target, beside the park's own
    shown = form_fields(resp.text, f"/frameworks/{fresh.id}/overrides")
    assert (shown["rows-0-target"], shown["rows-0-reason"]) == ("20", "家居卖场职工流动性大")
    assert (
        service.effective_targets(session=session, framework_id=fresh.id)[(park.id, i04.id)] == 20
    )
    history = resp.text[resp.text.index("变更记录") :]
    assert "园区目标值" in history and "无锡华夏家居港 · I04" in history


def test_copying_onto_a_year_that_has_a_framework_is_refused_naming_the_year(client, session):
    src = _fw(session, 2026)
    count = len(service.frameworks(session=session))
    resp = client.post("/frameworks/copy", data={"source_id": str(src.id), "year": "2025"})
    assert resp.status_code == 422
    assert "2025 年已有考核框架，请直接修改，不必再复制。" in resp.text
    assert 'value="2025"' in resp.text
    assert len(service.frameworks(session=session)) == count


def test_an_unknown_framework_is_404(client):
    assert client.get("/frameworks/999999").status_code == 404
    assert client.post("/frameworks/999999/tiers", data={}).status_code == 404
