"""A quarterly report refuses numbers that are no numbers: NaN, infinities, overflow.

float() reads "NaN", "Infinity" and "1e309" (as inf): before, NaN was a 500 (a NOT NULL
violation) and the infinities were stored as inf on SQLite and a 500 on PostgreSQL.
"""

import re

import pytest
from sqlmodel import select

from app.assessment.models import IndicatorValue
from tests.assessment.test_reports import _reported, _url, _values_form, huaxia, q4

__all__ = ["huaxia", "q4"]  # the fixtures of the report tests


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("NaN", "必须是有效的数值"),
        ("nan", "必须是有效的数值"),
        ("Infinity", "必须是有效的数值"),
        ("-inf", "必须是有效的数值"),
        ("1e309", "必须是有效的数值"),
        ("1e20", "数值过大"),
    ],
)
def test_a_value_that_is_no_finite_number_is_refused(login, session, q4, huaxia, raw, message):
    form = _values_form(session, q4)
    bad = _reported(session, q4)[0]
    form[f"value_{bad.id}"] = raw
    resp = login("park_huaxia").post(_url(huaxia, q4), data=form)
    assert resp.status_code == 422
    assert f"{bad.code} {bad.name}" in resp.text and message in resp.text
    # Nothing of the form is saved, not even its good values.
    assert session.exec(select(IndicatorValue).where(IndicatorValue.period_id == q4.id)).all() == []


def test_an_adjustment_count_beyond_reason_is_refused(login, session, q4, huaxia):
    page = login("park_huaxia").get(_url(huaxia, q4))
    counts = re.findall(r'name="(count_\d+)"', page.text)
    assert counts, "the report form offers adjustment counts"
    form = _values_form(session, q4) | {counts[0]: "99999999999999999999"}
    resp = login("park_huaxia").post(_url(huaxia, q4), data=form)
    assert resp.status_code == 422 and "必须是不小于 0 的整数" in resp.text.replace("0的", "0 的")


def test_a_version_or_indicator_beyond_any_row_is_a_422(login, session, q4, huaxia):
    park = login("park_huaxia")
    resp = park.post(_url(huaxia, q4, "submit"), data={"version": "99999999999999999999"})
    assert resp.status_code == 422 and "版本" in resp.text
    resp = park.post(
        _url(huaxia, q4, "evidence"),
        data={"indicator_id": "9223372036854775808"},
        files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
    )
    assert resp.status_code == 422 and "指标" in resp.text


def test_a_value_note_with_a_nul_is_refused_naming_it(login, session, q4, huaxia):
    form = _values_form(session, q4)
    first = _reported(session, q4)[0]
    form[f"note_{first.id}"] = "来源\x00统计局"
    resp = login("park_huaxia").post(_url(huaxia, q4), data=form)
    assert resp.status_code == 422 and "说明不能包含控制字符" in resp.text
    assert session.exec(select(IndicatorValue).where(IndicatorValue.period_id == q4.id)).all() == []
