"""Personal data minimised: mobile numbers show in full only in the viewer's own grid or park,
masked (138****2982) elsewhere, on the roster pages and in the exports; showing one in full
is an explicit action, and audited."""

import csv
import io
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from app.accounts.models import User, UserScope
from app.audit.models import AuditAction, AuditLog
from app.core.privacy import mask
from app.enterprises.models import Enterprise, Liaison
from app.geo.models import Grid, Park

HX = {"HX-Request": "true"}


@pytest.fixture
def grids(session) -> dict[str, Grid]:
    """华夏's grid of liaison_huaxia_1 ("own") and another of the park ("other")."""
    huaxia = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    user = session.exec(select(User).where(User.username == "liaison_huaxia_1")).one()
    own_id = session.exec(
        select(UserScope.grid_id).where(
            UserScope.user_id == user.id, col(UserScope.grid_id).is_not(None)
        )
    ).one()
    other = session.exec(
        select(Grid).where(Grid.park_id == huaxia.id, Grid.id != own_id).order_by(col(Grid.id))
    ).first()
    return {"own": session.get(Grid, own_id), "other": other, "park": huaxia}


def _liaison_of_a_firm(session, grid: Grid) -> Liaison:
    firm = session.exec(
        select(Enterprise)
        .where(Enterprise.grid_id == grid.id, col(Enterprise.liaison_id).is_not(None))
        .order_by(col(Enterprise.id))
    ).first()
    return session.get(Liaison, firm.liaison_id)


def test_the_mask_keeps_three_and_four_digits():
    assert mask("13812342982") == "138****2982"
    assert mask("32020319800101123X") == "320***********123X"


@pytest.mark.parametrize(
    ("username", "own", "other"),
    [
        ("liaison_huaxia_1", True, False),  # their own grid only, though they view the park
        ("park_huaxia", True, True),  # the park office's own park
        ("district_liangxi", False, False),  # offices see numbers masked in lists
        ("city_admin", False, False),
        ("leader", False, False),
    ],
)
def test_the_roster_page_shows_numbers_in_full_only_in_the_viewer_s_own_place(
    login, session, grids, username, own, other
):
    client = login(username)
    for key, full in (("own", own), ("other", other)):
        person = _liaison_of_a_firm(session, grids[key])
        page = client.get(f"/grids/{grids[key].id}/roster").text
        assert (person.mobile in page) is full, (username, key)
        assert (mask(person.mobile) in page) is not full, (username, key)
        assert ("显示完整号码" in page) is not full
        firm = session.exec(select(Enterprise).where(Enterprise.liaison_id == person.id)).first()
        detail = client.get(f"/enterprises/{firm.id}").text
        assert (f'href="tel:{person.mobile}"' in detail) is full, (username, key)


def _roster_mobiles(content: bytes) -> dict[str, list[str]]:
    wb = load_workbook(BytesIO(content))
    return {
        "grids": [r[3] for r in wb["网格"].iter_rows(min_row=2, values_only=True) if r[3]],
        "liaisons": [r[1] for r in wb["联络员"].iter_rows(min_row=2, values_only=True)],
        "enterprises": [r[11] for r in wb["企业"].iter_rows(min_row=2, values_only=True) if r[11]],
    }


def _is_masked(number: str) -> bool:
    return bool(re.fullmatch(r"1\d\d\*{4}\d{4}", number))


def test_exports_mask_the_same_way(login, session, grids):
    park = grids["park"]
    url = f"/parks/{park.id}/roster.xlsx"
    office = _roster_mobiles(login("park_huaxia").get(url).content)
    assert office["liaisons"] and not any(_is_masked(m) for ms in office.values() for m in ms)
    district = _roster_mobiles(login("district_liangxi").get(url).content)
    assert all(_is_masked(m) for ms in district.values() for m in ms)
    assert len(district["liaisons"]) == len(office["liaisons"])

    liaison = _roster_mobiles(login("liaison_huaxia_1").get(url).content)
    own = grids["own"]
    own_firms = session.exec(select(Enterprise).where(Enterprise.grid_id == own.id)).all()
    own_people = {session.get(Liaison, e.liaison_id).mobile for e in own_firms if e.liaison_id}
    full = [m for m in liaison["enterprises"] if not _is_masked(m)]
    assert full and set(full) <= own_people  # the own grid's in full, the rest masked
    masked = [m for m in liaison["enterprises"] if _is_masked(m)]
    assert len(masked) == len(office["enterprises"]) - len(full) > 0

    city = login("city_admin").get(f"/grids/{own.id}/roster.csv")
    rows = list(csv.reader(io.StringIO(city.content.decode("utf-8-sig"))))
    column = rows[0].index("企业联络员手机号")
    assert all(_is_masked(r[column]) for r in rows[1:] if r[column])


def test_showing_a_full_number_is_an_audited_action(login, session, grids):
    person = _liaison_of_a_firm(session, grids["other"])
    client = login("district_liangxi")
    resp = client.post(f"/liaisons/{person.id}/mobile", headers=HX)
    assert resp.status_code == 200
    assert f'href="tel:{person.mobile}"' in resp.text and person.mobile in resp.text
    session.expire_all()
    row = session.exec(select(AuditLog).where(AuditLog.action == AuditAction.reveal)).one()
    assert (row.username, row.object_type, row.object_id, row.object_label) == (
        "district_liangxi",
        "Liaison",
        person.id,
        person.name,
    )
    assert row.after == {"field": "mobile"}
    page = login("city_admin").get("/admin/audit?object_type=Liaison").text
    assert "查看完整号码" in page

    # A person of another park is out of a liaison's scope: not found, nothing shown.
    outside = session.exec(
        select(Liaison).where(Liaison.park_id != grids["park"].id).order_by(col(Liaison.id))
    ).first()
    resp = login("liaison_huaxia_1").post(f"/liaisons/{outside.id}/mobile", headers=HX)
    assert resp.status_code == 404 and outside.mobile not in resp.text
    assert session.exec(select(AuditLog).where(AuditLog.action == AuditAction.reveal)).all() == [
        row
    ]


def test_the_grid_and_park_pages_mask_the_grid_liaison_the_same_way(login, session, grids):
    own, other, park = grids["own"], grids["other"], grids["park"]
    liaison = login("liaison_huaxia_1")
    for grid, full in ((own, True), (other, False)):
        person = session.get(Liaison, grid.liaison_id)
        page = liaison.get(f"/grids/{grid.id}").text
        assert (f'href="tel:{person.mobile}"' in page) is full, grid.name
        assert (mask(person.mobile) in page) is not full, grid.name
    people = [session.get(Liaison, g.liaison_id) for g in (own, other)]
    office = login("park_huaxia").get(f"/parks/{park.id}").text
    assert all(p.mobile in office for p in people)
    district = login("district_liangxi").get(f"/parks/{park.id}").text
    assert not any(p.mobile in district for p in people)
    assert all(mask(p.mobile) in district for p in people) and "显示完整号码" in district


def test_the_user_form_masks_the_liaisons_it_offers(login, session, grids):
    # The city office picks a grid liaison for a new account by name: the numbers beside
    # the names are masked like everywhere outside the liaison's own park.
    people = [session.get(Liaison, g.liaison_id) for g in (grids["own"], grids["other"])]
    page = login("city_admin").get("/admin/users/new").text
    assert all(f"{p.name} {mask(p.mobile)}" in page for p in people)
    assert not any(p.mobile in page for p in people)
