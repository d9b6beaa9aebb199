"""Static definitions of the Wuxi demo: areas, parks, grids, trades and name parts."""

import enum
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.geo.models import AreaLevel, GridBasis, ParkKind, PilotLevel


@dataclass(frozen=True)
class AreaDef:
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None


AREAS = (
    AreaDef("320000", "江苏省", AreaLevel.province, None),
    AreaDef("320200", "无锡市", AreaLevel.city, "320000"),
    AreaDef("320281", "江阴市", AreaLevel.district, "320200"),
    AreaDef("320282", "宜兴市", AreaLevel.district, "320200"),
    AreaDef("320213", "梁溪区", AreaLevel.district, "320200"),
    AreaDef("320205", "锡山区", AreaLevel.district, "320200"),
    AreaDef("320206", "惠山区", AreaLevel.district, "320200"),
    AreaDef("320211", "滨湖区", AreaLevel.district, "320200"),
    AreaDef("320214", "新吴区", AreaLevel.district, "320200"),
    AreaDef("320271", "经济开发区", AreaLevel.district, "320200"),
    # Streets and towns are demo codes under their district's code, not official ones.
    AreaDef("320281001", "澄江街道", AreaLevel.street, "320281"),
    AreaDef("320282101", "丁蜀镇", AreaLevel.street, "320282"),
    AreaDef("320282102", "张渚镇", AreaLevel.street, "320282"),
    AreaDef("320213010", "广益街道", AreaLevel.street, "320213"),
    AreaDef("320205104", "东港镇", AreaLevel.street, "320205"),
)


@dataclass(frozen=True)
class Trade:
    """What an enterprise does: its industry text and the words its name may end with."""

    industry: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class GridDef:
    name: str
    trades: tuple[Trade, ...]


class Story(enum.StrEnum):
    """How a park's indicators move over the eight demo quarters."""

    strong = "strong"  # high and a little higher each year
    improving = "improving"  # rising quarter on quarter and year on year
    steady = "steady"  # middling, roughly flat
    lagging = "lagging"  # low and flat


@dataclass(frozen=True)
class ParkDef:
    name: str
    # The park's part of its demo accounts' usernames (park_huaxia, liaison_huaxia_1).
    account: str
    area_code: str
    kind: ParkKind
    multi_theme: bool
    leading_industries: str
    pilot_level: PilotLevel
    pilot_year: int
    # The city an enterprise's invented name starts with.
    town: str
    basis: GridBasis
    grids: tuple[GridDef, ...]
    # Enterprises by size: (large, medium, small, micro).
    sizes: tuple[int, int, int, int]
    # Shares of the roster: taking part in the reform, with a union, and with a
    # collective contract among those with a union.
    participation: float
    unions: float
    contracts: float
    foreign_share: float
    state_share: float
    internal_bases: int
    external_bases: int
    story: Story
    # Annual achievement against target for 2024, 2025 and 2026 (1.0 = on target).
    levels: tuple[float, float, float]
    missing_positions: tuple[str, ...] = ()
    # Grid indexes that have no liaison, or no node enterprise, yet.
    grids_without_liaison: tuple[int, ...] = ()
    grids_without_node: tuple[int, ...] = ()
    # Enterprises named in the seeds: (grid index, name).
    known_enterprises: tuple[tuple[int, str], ...] = ()

    @property
    def enterprises(self) -> int:
        return sum(self.sizes)


_PARKS_FILE = Path(__file__).with_name("parks.toml")
_TUPLES = ("sizes", "levels", "missing_positions", "grids_without_liaison", "grids_without_node")


def _trade(table: dict[str, Any]) -> Trade:
    return Trade(table["industry"], tuple(table["words"]))


def _grids(fields: dict[str, Any]) -> tuple[GridDef, ...]:
    """A park's grids, taken out of its TOML table by the shape its basis uses."""
    if fields["basis"] is GridBasis.cluster:
        return tuple(GridDef(c["name"], (_trade(c),)) for c in fields.pop("clusters"))
    trades = tuple(_trade(t) for t in fields.pop("trades"))
    return tuple(GridDef(name, trades) for name in fields.pop("grid_names"))


def _park(fields: dict[str, Any]) -> ParkDef:
    fields["kind"] = ParkKind(fields["kind"])
    fields["pilot_level"] = PilotLevel(fields["pilot_level"])
    fields["basis"] = GridBasis(fields["basis"])
    fields["story"] = Story(fields["story"])
    fields["grids"] = _grids(fields)
    for key in _TUPLES:
        if key in fields:
            fields[key] = tuple(fields[key])
    fields["known_enterprises"] = tuple(tuple(e) for e in fields.get("known_enterprises", ()))
    return ParkDef(**fields)


def _load_parks() -> tuple[ParkDef, ...]:
    """The parks of parks.toml, in its order; a bad table raises with the park's name."""
    parks = []
    for fields in tomllib.loads(_PARKS_FILE.read_text(encoding="utf-8"))["parks"]:
        try:
            parks.append(_park(fields))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{_PARKS_FILE.name}: park {fields.get('name')!r}: {error!r}"
            ) from error
    return tuple(parks)


PARKS = _load_parks()

# The park that has not reported the latest quarter, so the app has a gap to flag.
MISSING_DATA_PARK = "无锡综合保税区"
MISSING_DATA_PERIODS = ((2026, 3),)

YEARS = (2024, 2025, 2026)
PERIODS = ((2024, 4), (2025, 1), (2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2), (2026, 3))

ENTERPRISE_TOTAL = 1227
WORKERS_RANGE = (95_000, 105_000)

# Characters invented two-character company words are drawn from.
NAME_CHARS = (
    "恒瑞嘉鼎华润泰博宏达锦源凯盛佳德晟和昊远通益启航澜铭宸越信诚安康明阳辰宇星海峰睿智汇联创元丰禾"
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钱顾华秦浦过薛"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国文斌玲红志"
    "新宇浩然欣怡子涵梓轩晨阳婷雪琳佳慧鹏飞俊峰晓东海燕春梅云龙亮"
)
# Prefixes of mainland mobile numbers in use (China Mobile, Unicom and Telecom).
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
]

GREEN_NOTES = (
    "按计划推进，本季度重点任务已完成",
    "网格例会按月召开，企业诉求均已回应",
    "节点企业带动作用明显，培训按计划开展",
    "技能竞赛报名踊跃，宣讲活动已覆盖全部企业",
    "企业联络员到岗，信息上传下达顺畅",
)
AMBER_NOTES = (
    "部分企业参与积极性不高，需加强走访",
    "本季度培训场次低于计划，下季度补齐",
    "两家企业工会换届未完成，集体协商待续签",
    "职工诉求办结偏慢，已督促相关企业",
)
NO_LIAISON_NOTE = "网格联络员暂缺，待园区指定"
NO_NODE_NOTE = "节点企业尚未选定，暂由园区指导站代管"
RED_NOTE = "联络员空缺、节点企业未定，多项任务逾期，需园区督办"

# ---- the demo's first-run tour: an open quarter and an account for every role and place ----

# The quarter that is open for reporting: not among PERIODS, whose values and scores stay
# exactly as they are (tests pin them); its reports are made after those are stored.
OPEN_PERIOD = (2026, 4)
# District offices log in as district_<this>.
DISTRICT_ACCOUNTS = {
    "320281": "jiangyin",
    "320282": "yixing",
    "320213": "liangxi",
    "320205": "xishan",
    "320206": "huishan",
    "320211": "binhu",
    "320214": "xinwu",
    "320271": "jingkai",
}


class OpenState(enum.StrEnum):
    """Where a park's report for the open quarter stands in the demo."""

    draft = "draft"  # being filled in: some values saved
    submitted = "submitted"  # waiting for the district office's review
    returned = "returned"  # sent back with the reviewer's note


@dataclass(frozen=True)
class OpenReport:
    park: str
    state: OpenState
    # Evidence files: (indicator code, file name); .pdf and .png are made in code.
    evidence: tuple[tuple[str, str], ...] = ()


# The other parks have not started their report of the open quarter.
OPEN_REPORTS = (
    OpenReport("无锡华夏家居港", OpenState.draft, (("I04", "第四季度技能培训活动照片.png"),)),
    OpenReport(
        "无锡盛阳食品城",
        OpenState.submitted,
        (("I04", "第四季度职工技能培训签到表.pdf"), ("I06", "劳动竞赛获奖名单.pdf")),
    ),
    OpenReport("江阴高新区生物医药产业园", OpenState.submitted),
    OpenReport(
        "长三角新就业产业园", OpenState.returned, (("I04", "新就业形态劳动者培训记录.pdf"),)
    ),
    OpenReport("无锡国家高新技术产业开发区", OpenState.draft),
)
OPEN_RETURN_COMMENT = "第四季度培训人次较上季度增幅偏大，请核实并补充培训签到表后重新报送。"
OPEN_VALUE_COMMENT = "请附培训签到表或培训机构出具的证明。"
