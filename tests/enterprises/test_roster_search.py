"""Finding and ordering enterprises by pinyin: "hh", "huahong" and the code find 华虹."""

import re
from html import unescape

import pytest
from sqlmodel import col, select
from stdnum.cn import uscc

from app.enterprises import pinyin
from app.geo.models import Grid, Park

HX = {"HX-Request": "true"}
HUAHONG = "无锡华虹芯材科技有限公司"


def card_names(html: str) -> list[str]:
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", m)).split())
        for m in re.findall(r'<h3 class="roster-name"><a [^>]*>(.*?)</a>', html, re.S)
    ]


@pytest.fixture
def grid_a(session) -> Grid:
    """无锡华夏家居港's A区网格; in the demo its node is 无锡元通家居有限公司."""
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    return session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()


@pytest.fixture
def client(login, grid_a):
    """The grid's liaison, with 无锡华虹芯材科技有限公司 added to the grid."""
    c = login("liaison_huaxia_1")
    body = "91320213MAW000777"
    resp = c.post(
        f"/grids/{grid_a.id}/enterprises",
        data={
            "credit_code": body + uscc.calc_check_digit(body),
            "name": HUAHONG,
            "ownership": "private",
            "size": "medium",
            "worker_count": "120",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303
    return c


@pytest.mark.parametrize(
    "q",
    [
        "hh",  # the initials of 华虹
        "hx",  # 虹芯: initials anywhere in the name
        "huahong",  # full pinyin
        "hua hong",  # as some people type it
        "huah",  # full pinyin, cut short
        "HuaHong",
        "华虹",  # the characters themselves
        "MAW000777",  # part of the credit code
    ],
)
def test_the_search_box_finds_huahong(client, grid_a, q):
    resp = client.get(f"/grids/{grid_a.id}/roster", params={"q": q}, headers=HX)
    assert resp.status_code == 200
    # htmx gets the list alone, to swap in place as the user types.
    assert "<html" not in resp.text and resp.text.lstrip().startswith('<section id="roster-list"')
    # 华虹 comes first; a rarer reading may find another too ("hh": 越宏, 越 read huò).
    found = card_names(resp.text)
    assert found[0] == HUAHONG
    assert f"共 7 家企业，其中 {len(found)} 家符合“{q}”" in unescape(resp.text)


@pytest.mark.parametrize("q", ["huahongb", "ong", "hz", "abc", "32021300"])
def test_what_does_not_spell_it_finds_nothing_of_it(client, grid_a, q):
    resp = client.get(f"/grids/{grid_a.id}/roster", params={"q": q}, headers=HX)
    assert HUAHONG not in card_names(resp.text)


def test_a_search_that_finds_nothing_says_so(client, grid_a):
    resp = client.get(f"/grids/{grid_a.id}/roster", params={"q": "qqqq"}, headers=HX)
    assert card_names(resp.text) == []
    assert "本网格没有符合“qqqq”的企业。" in unescape(resp.text)


def test_the_search_box_asks_as_the_user_types(client, grid_a):
    page = client.get(f"/grids/{grid_a.id}/roster", params={"q": "hh"}).text
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert f'hx-get="http://testserver/grids/{grid_a.id}/roster"' in page
    # Without JavaScript, the same URL answers the whole page, the query kept in the box.
    assert '<html lang="zh-CN">' in page and 'name="q" value="hh"' in page
    assert card_names(page)[0] == HUAHONG


def test_the_roster_is_sorted_by_pinyin_node_first(client, grid_a):
    names = card_names(client.get(f"/grids/{grid_a.id}/roster").text)
    assert names == [
        "无锡元通家居有限公司",  # the node enterprise leads
        "无锡宏晟木业有限公司",  # hong sheng
        "无锡华虹芯材科技有限公司",  # hua hong
        "无锡启元布艺有限公司",  # qi yuan
        "无锡睿安软装设计有限公司",  # rui an
        "无锡泰明定制家居有限公司",  # tai ming
        "无锡越宏布艺有限公司",  # yue hong
    ]
    # Code-point order would put 华 (U+534E) before 启 and 宏 (U+5B8F) after 启 (U+542F).
    assert names[1:] != sorted(names[1:])


def test_the_node_button_keeps_the_search(client, grid_a, session):
    found = client.get(f"/grids/{grid_a.id}/roster", params={"q": "hh"}, headers=HX).text
    assert 'name="q" value="hh"' in found
    enterprise_id = re.search(r'data-enterprise="(\d+)"', found).group(1)
    resp = client.post(
        f"/enterprises/{enterprise_id}/node", data={"back": "roster", "q": "hh"}, headers=HX
    )
    assert card_names(resp.text)[0] == HUAHONG
    assert f"{HUAHONG} 已设为" in unescape(resp.text)


# ---- the pinyin module -------------------------------------------------------------


def test_spelling_has_full_syllables_and_initials():
    sp = pinyin.spell("华虹半导体")
    assert sp.syllables == ("hua", "hong", "ban", "dao", "ti")
    assert sp.full == "huahongbandaoti" and sp.abbreviation == "hhbdt"


def test_latin_words_and_numbers_count_whole():
    sp = pinyin.spell("无锡（ABC）3M科技")
    assert sp.syllables == ("wu", "xi", "abc", "3m", "ke", "ji")
    assert pinyin.matches_pinyin("无锡（ABC）3M科技", "abc3mkj")


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("hh", True),
        ("wxhh", True),
        ("huahong", True),
        ("hhong", True),  # initial then full syllable
        ("huah", True),
        ("hua'hong", True),
        ("ong", False),  # not from the start of a syllable
        ("hhh", False),
        ("", False),
        ("华虹", False),  # characters are matched as a substring, not here
    ],
)
def test_matches_pinyin(query, found):
    assert pinyin.matches_pinyin("无锡华虹半导体", query) is found


def test_a_polyphonic_character_is_found_by_each_reading(client, grid_a):
    # pypinyin reads 晟 chéng first; people say shèng. Both find 无锡宏晟木业有限公司.
    assert pinyin.spell("宏晟").syllables == ("hong", "cheng")
    for q in ("hs", "hongsheng", "hc"):
        resp = client.get(f"/grids/{grid_a.id}/roster", params={"q": q}, headers=HX)
        assert "无锡宏晟木业有限公司" in card_names(resp.text), q


def test_matches_by_a_rarer_reading_come_after(client, grid_a):
    resp = client.get(f"/grids/{grid_a.id}/roster", params={"q": "hh"}, headers=HX)
    # 华虹 hua hong by the usual reading; 越宏 only if 越 is read huò.
    assert card_names(resp.text) == [HUAHONG, "无锡越宏布艺有限公司"]
    assert pinyin.pinyin_match("无锡越宏布艺有限公司", "hh") == pinyin.OTHER
    assert pinyin.pinyin_match(HUAHONG, "hh") == pinyin.USUAL


def test_a_latin_word_is_typed_whole():
    assert pinyin.matches_pinyin("无锡ABC科技", "abckj")
    assert not pinyin.matches_pinyin("无锡ABC科技", "akj")


def test_sort_key_orders_by_pinyin():
    names = ["重庆银行", "长江电力", "阿里巴巴", "中国银行"]
    assert sorted(names, key=pinyin.sort_key) == ["阿里巴巴", "长江电力", "重庆银行", "中国银行"]


def test_a_pathological_query_stays_cheap():
    name = "哈" * 100
    assert pinyin.matches_pinyin(name, "ha" * 30)
    assert not pinyin.matches_pinyin(name, "ha" * 29 + "x")


def test_a_place_name_reads_as_its_place_not_as_its_characters():
    # 长 of 长三角 (the Yangtze River Delta) is cháng: the park sorts among the c's, before
    # 无锡 (w) and 宜兴 (y), not after them as zhǎng would, and "csj" abbreviates it.
    spelt = pinyin.spell("长三角新就业产业园")
    assert spelt.full.startswith("changsanjiao") and spelt.abbreviation.startswith("csj")
    names = ["宜兴丁蜀陶瓷文创产业园", "长三角新就业产业园", "无锡滨湖科技园"]
    assert sorted(names, key=lambda n: pinyin.spell(n).syllables) == [
        "长三角新就业产业园",
        "无锡滨湖科技园",
        "宜兴丁蜀陶瓷文创产业园",
    ]
