"""Typed, bounded input at the edge: each bad value found by the probe is a 404 or a 422.

Before, every request here answered 500: ids beyond a BIGINT, huge numbers in period
labels, years, pages and filters, dates Python cannot shift, NaN and infinities as a
version, NUL bytes in text (PostgreSQL refuses them), and the audit page's own filter
form sent with 用户 = 全部 answered 422 naming the raw field "user_id".
"""

import re
from html import unescape

import pytest

import tests.test_permissions as perm
from app.core.i18n import gettext
from app.framework import service as framework_service
from app.gridwork.demands.service import LABELS as DEMAND_LABELS
from app.gridwork.monthly.service import NOTES_LABEL
from app.gridwork.notices.service import LABELS as NOTICE_LABELS

ids = perm.ids  # the matrix's fixture: the demo's parks, grids and users

HUGE = "99999999999999999999"
CONTROL = "不能包含控制字符"


def _message(resp) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", resp.text))


@pytest.mark.parametrize(
    "path",
    [
        "/parks/9223372036854775808",
        "/parks/2147483648",  # beyond PostgreSQL's INTEGER
        "/api/v1/grids/2147483648/status",
        "/parks/-9223372036854775809",
        f"/grids/{HUGE}",
        f"/districts/{HUGE}/scorecard.xlsx",
        f"/admin/users/{HUGE}",
        f"/api/v1/parks/{HUGE}",
        f"/notices/{HUGE}",
    ],
)
def test_an_id_that_cannot_exist_is_a_404(login, path):
    assert login("city_admin").get(path, follow_redirects=False).status_code == 404


def test_period_labels_with_huge_years(login, ids):
    admin = login("city_admin")
    label = f"{HUGE}Q1"
    # In a path, no such period: 404 like any other missing one.
    assert admin.get(f"/parks/{ids.huaxia}/reports/{label}").status_code == 404
    for url in (f"/reports?period={label}", f"/parks/{ids.huaxia}/explain?period={label}"):
        resp = admin.get(url)
        assert resp.status_code == 422, url
        assert "考核期" in _message(resp) and "period" not in _message(resp)
    assert admin.get("/reports?period=2026Q3").status_code == 200


def test_publishing_a_year_beyond_reason_is_a_422(login):
    resp = login("city_admin").post(f"/years/{HUGE}/publish", follow_redirects=False)
    assert resp.status_code == 422 and "年度" in _message(resp)


@pytest.mark.parametrize(("query", "label"), [("page", "页码"), ("year", "年度")])
def test_demand_list_numbers_are_bounded(login, query, label):
    resp = login("city_admin").get(f"/demands?{query}={HUGE}")
    assert resp.status_code == 422 and label in _message(resp)


@pytest.mark.parametrize(
    ("query", "label"),
    [
        (f"user_id={HUGE}", "用户"),
        (f"batch={HUGE}", "导入批次"),
        ("start=0001-01-01", "起始日期"),
        ("end=9999-12-31", "截止日期"),
        ("user_id=abc", "用户"),
    ],
)
def test_audit_filters_are_bounded_and_named_in_chinese(login, query, label):
    resp = login("city_admin").get(f"/admin/audit?{query}")
    assert resp.status_code == 422
    text = _message(resp)
    assert label in text and not re.search(r"user_id|batch|start|end", text.split("</h1>")[-1])


def test_the_audit_form_sent_with_all_users_lists_everything(login):
    admin = login("city_admin")
    every = admin.get("/admin/audit")
    # The page's own form, with 用户 = 全部 and nothing else chosen.
    resp = admin.get("/admin/audit?user_id=&object_type=&start=&end=&batch=")
    assert resp.status_code == 200
    count = re.compile(r"<h1>.*?<small>(\d+)</small>", re.S)
    assert int(count.search(resp.text).group(1)) == int(count.search(every.text).group(1)) > 0


@pytest.mark.parametrize("version", ["Infinity", "NaN", HUGE, "1e309", "true", "1.5"])
def test_a_grid_status_version_that_is_no_version_is_a_422(login, ids, version):
    body = f'{{"status": "amber", "note": "检查", "version": {version}}}'
    resp = login("park_huaxia").put(
        f"/api/v1/grids/{ids.huaxia_grid_1}/status",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 422, resp.text
    assert "version" in resp.json()["errors"]


def _matrix_body(method, path, role, ids, session) -> dict:
    return dict(perm.BODIES[(method, path)](role, ids, session)["data"])


@pytest.mark.parametrize(
    ("role", "path", "field", "label"),
    [
        ("liaison_huaxia_1", "/grids/{grid_id}/demands", "summary", DEMAND_LABELS["summary"]),
        ("city_admin", "/notices", "title", NOTICE_LABELS["title"]),
        ("liaison_huaxia_1", "/grids/{grid_id}/monthly/{month}", "notes", NOTES_LABEL),
        ("park_huaxia", "/grids/{grid_id}/status", "note", "Note"),
    ],
)
@pytest.mark.parametrize("bad", ["\x00", "园区\x00名称", "a\x1bb"])
def test_text_with_control_characters_is_refused_naming_the_field(
    login, session, ids, role, path, field, label, bad
):
    if path.endswith("/status"):
        data = perm._body("POST", path, role, ids, session)["data"]
    else:
        data = _matrix_body("POST", path, role, ids, session)
    url = path.format(grid_id=ids.huaxia_grid_1, month="2026-10")
    resp = login(role).post(url, data=data | {field: bad}, follow_redirects=False)
    assert resp.status_code == 422, (url, resp.status_code)
    assert f"{gettext(label)}{CONTROL}" in _message(resp)


def test_a_single_line_field_refuses_a_line_break_a_multi_line_one_keeps_it(login, session, ids):
    sender = login("city_admin")
    data = _matrix_body("POST", "/notices", "city_admin", ids, session)
    resp = sender.post("/notices", data=data | {"title": "第一行\n第二行"}, follow_redirects=False)
    assert resp.status_code == 422 and "不能包含控制字符或换行" in _message(resp)
    resp = sender.post(
        "/notices", data=data | {"content": "第一段\r\n\t第二段"}, follow_redirects=False
    )
    assert resp.status_code == 303


def test_a_broken_form_body_is_a_400(login, ids):
    resp = login("park_huaxia").post(
        f"/grids/{ids.huaxia_grid_1}/demands",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\n\xff",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert resp.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/?district=&park=&radar=",
        "/districts/{liangxi}?park=&indicator=",
        "/demands?park_id=&grid_id=&year=&state=&page=",
        "/imports?park=",
        "/reports?period=",
    ],
)
def test_an_empty_select_means_all(login, ids, url):
    resp = login("city_admin").get(url.format(liangxi=ids.liangxi), follow_redirects=False)
    assert resp.status_code == 200


def test_a_bad_filter_is_named_by_its_label_never_its_name(login):
    resp = login("city_admin").get("/?district=abc&radar=99999999999")
    text = _message(resp)
    assert resp.status_code == 422
    assert "区必须是数字" in text and "园区不能大于 999999999" in text
    assert "district" not in text and "radar" not in text


@pytest.mark.parametrize("query", ["page=²", "by=²", f"page={HUGE}"])
def test_rankings_read_only_ascii_digits(login, query):
    # "²" passed str.isdigit() and then failed int(): a 500.
    resp = login("city_admin").get(f"/rankings?{query}")
    assert resp.status_code in (200, 422)
    if query.startswith("page"):
        assert resp.status_code == 422 and "页码" in _message(resp)


def test_per_row_ids_and_a_monthly_version_read_only_ascii_digits(login, session, ids):
    # "²" passed str.isdigit() and then failed int(): each of these answered 500.
    admin = login("city_admin")
    framework = framework_service.for_year(session=session, year=2026)
    aspect = framework_service.aspects(session=session, framework_id=framework.id)[0]
    resp = admin.post(
        f"/frameworks/{framework.id}/aspects",
        data={"rows-0-id": "²", "rows-0-name": aspect.name},
        follow_redirects=False,
    )
    assert resp.status_code == 422 and "已不存在，请刷新页面" in _message(resp)
    # A version that is no whole number counts as none, as a missing one does: saved.
    liaison = login("liaison_huaxia_1")
    url = f"/grids/{ids.huaxia_grid_1}/monthly/2026-06"
    codes = [
        liaison.post(url, data={"version": v}, follow_redirects=False).status_code
        for v in ("²", HUGE)
    ]
    assert codes == [303, 303]
