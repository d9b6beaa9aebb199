"""The district heat map reads one way: columns headed by code, unit and name, every cell
its completion of the target in %, the value and target with their units in the hover, text
large enough to read, and a legend for the colours and the arrows. 梁溪区 on the demo."""

import math
import re
from html import unescape

import pytest
from sqlmodel import col, select

from app.framework.models import Indicator
from tests.dashboard.test_district import (
    _area,
    _park,
    _period,
    counted_completion,
    figure,
)
from tests.helpers import table_rows

CELL = re.compile(r"^(\d+)% ([↑↓—])$")


@pytest.fixture
def client(login):
    return login("city_admin")


@pytest.fixture
def liangxi_page(client, session) -> str:
    return client.get(f"/districts/{_area(session, '梁溪区').id}?period=2026Q3").text


def _indicators(session) -> list[Indicator]:
    period = _period(session, "2026Q3")
    return list(
        session.exec(
            select(Indicator)
            .where(Indicator.framework_id == period.framework_id)
            .order_by(col(Indicator.sort_order))
        )
    )


def _plain(label: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", label.replace("<br>", "")))


def test_column_heads_carry_the_code_the_unit_and_the_name(liangxi_page, session):
    indicators = _indicators(session)
    assert len(indicators) == 12
    (trace,) = figure(liangxi_page, "scorecard-heatmap")["data"]
    axis = figure(liangxi_page, "scorecard-heatmap")["layout"]["xaxis"]
    # The columns stay the codes (the links use them); the labels say what they are.
    assert axis["tickvals"] == trace["x"] == [i.code for i in indicators]
    heads = axis["ticktext"]
    for head, ind in zip(heads, indicators, strict=True):
        assert head.startswith(f"<b>{ind.code}（{ind.unit}）</b><br>"), head
        assert _plain(head) == f"{ind.code}（{ind.unit}）{ind.name}"
    # The units differ by column: a count's head does not read like a rate's.
    assert _plain(heads[2]).startswith("I03（场）") and _plain(heads[0]).startswith("I01（%）")
    # No line of a name is longer than five characters: twelve columns fit a screen.
    for head in heads:
        lines = head.split("<br>")[1:]
        assert all(len(_plain(line)) <= 5 for line in lines), head
    # The table under the heat map names the unit too.
    assert 'I03<small class="unit">（场）</small>' in liangxi_page


def test_every_cell_reads_its_completion_of_the_target(liangxi_page, session):
    huaxia, shengyang = _park(session, "无锡华夏家居港"), _park(session, "无锡盛阳食品城")
    done = counted_completion(session, _period(session, "2026Q3"), [huaxia.id, shengyang.id])
    (trace,) = figure(liangxi_page, "scorecard-heatmap")["data"]
    assert trace["y"] == [huaxia.name, shengyang.name]
    for i, park in enumerate((huaxia, shengyang)):
        for j, code in enumerate(trace["x"]):
            text = trace["text"][i][j]
            if (park.id, code) not in done:
                assert text == "—"
                continue
            m = CELL.match(text)
            assert m, (park.name, code, text)
            # Rounded down, so a cell never reads 100% while short of the target.
            assert int(m.group(1)) == math.floor(done[(park.id, code)]), (park.name, code)
    # The counts that read "663 ↑" and "3 —" before are per cent now like the rates.
    texts = [t for row in trace["text"] for t in row]
    assert all(CELL.match(t) or t == "—" for t in texts)
    assert trace["text"][0][4] == "150% —"  # 华夏: 3 training bases of 2
    # The accessible table says the same numbers.
    card = table_rows(liangxi_page, "scorecard")
    assert [c for c in card[0][1:]] == [t.split(" ")[0] for t in trace["text"][0]]


def test_the_hover_gives_value_and_target_with_their_units(liangxi_page):
    (trace,) = figure(liangxi_page, "scorecard-heatmap")["data"]
    i05 = trace["hovertext"][0][4]
    assert "I05 内训/外训基地数" in i05
    # Counts are whole with their unit, rates in % with at most one decimal.
    assert "完成值 3 个，目标值 2 个" in i05
    assert "完成率 150%：已达标" in i05
    i01 = trace["hovertext"][0][0]
    assert "完成值 93.1%，目标值 100%" in i01
    assert not re.search(r"\d\.\d\d", " ".join(h for row in trace["hovertext"] for h in row))


def test_cell_text_is_readable_and_the_legend_explains_colours_and_arrows(liangxi_page):
    (trace,) = figure(liangxi_page, "scorecard-heatmap")["data"]
    assert trace["textfont"]["size"] >= 12
    legend = re.search(
        r'<div class="legend" id="scorecard-legend">(.*?)</div>', liangxi_page, re.S
    ).group(1)
    assert "每格为园区该指标的目标完成率" in legend
    for band, label in (("≥100%", "已达标"), ("60–99%", "推进中"), ("&lt;60%", "进度滞后")):
        assert band in legend and label in legend
    assert "↑ 完成率较上季度上升，↓ 下降，— 持平" in legend
