"""Static definitions of the Wuxi demo: areas, parks, grids, trades and name parts."""

import enum
from dataclasses import dataclass

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


def _clusters(*pairs: tuple[str, Trade]) -> tuple[GridDef, ...]:
    return tuple(GridDef(name, (trade,)) for name, trade in pairs)


def _areas(names: tuple[str, ...], trades: tuple[Trade, ...]) -> tuple[GridDef, ...]:
    return tuple(GridDef(name, trades) for name in names)


_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

PARKS = (
    ParkDef(
        name="江阴高新区生物医药产业园",
        area_code="320281",
        kind=ParkKind.park_in_park,
        multi_theme=False,
        leading_industries="现代中药、蛋白新药和生物疫苗、诊断试剂、医疗器械",
        pilot_level=PilotLevel.provincial,
        pilot_year=2021,
        town="江阴",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("现代中药", Trade("现代中药", ("中药科技", "药业", "本草生物"))),
            ("蛋白新药和生物疫苗", Trade("生物制药", ("生物医药", "生物技术", "疫苗科技"))),
            ("诊断试剂", Trade("体外诊断", ("诊断技术", "生物试剂", "医学检验"))),
            ("医疗器械", Trade("医疗器械", ("医疗器械", "医疗科技", "医用材料"))),
        ),
        sizes=(1, 6, 34, 21),
        participation=0.97,
        unions=0.92,
        contracts=0.97,
        foreign_share=0.08,
        state_share=0.05,
        internal_bases=2,
        external_bases=1,
        story=Story.strong,
        levels=(1.35, 1.45, 1.5),
        known_enterprises=(
            (0, "江阴力博医药科技有限公司"),
            (0, "江阴普莱医药科技有限公司"),
            (1, "江阴贝瑞森生物医药有限公司"),
            (1, "江阴新申奥生物技术有限公司"),
            (1, "江阴佰翱得生物科技有限公司"),
            (2, "江阴佩尔生物科技有限公司"),
            (3, "江阴风和医疗器械有限公司"),
            (3, "江阴佰澳达医疗科技有限公司"),
        ),
    ),
    ParkDef(
        name="江阴澄江跨境电商产业园",
        area_code="320281001",
        kind=ParkKind.building,
        multi_theme=False,
        leading_industries="跨境电商、直播电商、数字贸易",
        pilot_level=PilotLevel.city,
        pilot_year=2022,
        town="江阴",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("跨境电商平台", Trade("跨境电商", ("跨境电商", "电子商务", "国际贸易"))),
            ("直播电商", Trade("直播电商", ("网络科技", "文化传媒", "直播科技"))),
            ("仓储物流", Trade("仓储物流", ("供应链管理", "国际物流", "仓储服务"))),
            ("供应链服务", Trade("供应链服务", ("供应链", "进出口", "商贸"))),
            ("数字服务", Trade("数字服务", ("信息技术", "数字科技", "软件"))),
        ),
        sizes=(0, 2, 24, 32),
        participation=0.91,
        unions=0.84,
        contracts=0.95,
        foreign_share=0.03,
        state_share=0.0,
        internal_bases=1,
        external_bases=1,
        story=Story.improving,
        levels=(0.55, 0.8, 1.15),
    ),
    ParkDef(
        name="宜兴丁蜀陶瓷文创产业园",
        area_code="320282101",
        kind=ParkKind.park_in_park,
        multi_theme=False,
        leading_industries="紫砂工艺、日用与精细陶瓷、文化创意",
        pilot_level=PilotLevel.city,
        pilot_year=2021,
        town="宜兴",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("紫砂工艺", Trade("紫砂工艺品", ("紫砂工艺", "陶艺", "紫砂文化"))),
            ("日用陶瓷", Trade("日用陶瓷", ("陶瓷", "陶瓷制品", "窑业"))),
            ("精细陶瓷", Trade("精细陶瓷", ("新材料", "精密陶瓷", "耐火材料"))),
            ("文创设计", Trade("文化创意", ("文化创意", "设计", "文化传播"))),
            ("陶瓷电商", Trade("陶瓷电商", ("电子商务", "网络科技", "商贸"))),
        ),
        sizes=(0, 2, 30, 43),
        participation=0.84,
        unions=0.86,
        contracts=0.93,
        foreign_share=0.0,
        state_share=0.03,
        internal_bases=1,
        external_bases=1,
        story=Story.steady,
        levels=(0.8, 0.8, 0.82),
    ),
    ParkDef(
        name="宜兴张渚乡村茶产业链",
        area_code="320282102",
        kind=ParkKind.rural_chain,
        multi_theme=True,
        leading_industries="茶叶种植与加工、乡村旅游",
        pilot_level=PilotLevel.district,
        pilot_year=2023,
        town="宜兴",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("茶叶种植", Trade("茶叶种植", ("茶业", "农业科技", "生态农业"))),
            ("茶叶加工", Trade("茶叶加工", ("茶业", "茶叶", "食品"))),
            ("乡村旅游", Trade("乡村旅游", ("旅游开发", "农旅", "餐饮管理"))),
        ),
        sizes=(0, 1, 10, 29),
        participation=0.88,
        unions=0.8,
        contracts=0.94,
        foreign_share=0.0,
        state_share=0.05,
        internal_bases=1,
        external_bases=1,
        story=Story.improving,
        levels=(0.45, 0.65, 0.9),
    ),
    ParkDef(
        name="无锡盛阳食品城",
        area_code="320213",
        kind=ParkKind.market,
        multi_theme=True,
        leading_industries="食品批发、粮油副食、冷链物流",
        pilot_level=PilotLevel.city,
        pilot_year=2021,
        town="无锡",
        basis=GridBasis.area,
        grids=_areas(
            tuple(f"第{n}网格" for n in _NUMERALS),
            (
                Trade("食品批发", ("食品", "商贸", "食品贸易")),
                Trade("粮油", ("粮油", "粮油贸易")),
                Trade("冷链物流", ("冷链物流", "冷藏运输")),
                Trade("干货调味", ("调味品", "副食品")),
                Trade("酒水饮料", ("酒业", "饮品")),
                Trade("水产肉类", ("水产", "肉类食品")),
            ),
        ),
        sizes=(0, 1, 30, 119),
        participation=0.88,
        unions=0.87,
        contracts=0.95,
        foreign_share=0.0,
        state_share=0.01,
        internal_bases=1,
        external_bases=1,
        story=Story.steady,
        levels=(0.9, 0.92, 0.95),
    ),
    ParkDef(
        name="无锡华夏家居港",
        area_code="320213010",
        kind=ParkKind.market,
        multi_theme=True,
        leading_industries="家具、建材、灯饰与软装",
        pilot_level=PilotLevel.provincial,
        pilot_year=2022,
        town="无锡",
        basis=GridBasis.area,
        grids=_areas(
            tuple(f"{c}区网格" for c in "ABCDEFGHIJ"),
            (
                Trade("家具", ("家具", "家居")),
                Trade("建材", ("建材", "装饰材料")),
                Trade("灯饰", ("照明", "灯饰")),
                Trade("软装", ("软装设计", "布艺")),
                Trade("定制家居", ("定制家居", "木业")),
                Trade("装饰设计", ("装饰工程", "装饰设计")),
            ),
        ),
        sizes=(0, 2, 35, 123),
        participation=0.93,
        unions=0.88,
        contracts=0.97,
        foreign_share=0.0,
        state_share=0.0,
        internal_bases=1,
        external_bases=2,
        story=Story.improving,
        levels=(0.7, 0.95, 1.4),
    ),
    ParkDef(
        name="锡山东港纺织服装产业园",
        area_code="320205104",
        kind=ParkKind.park_in_park,
        multi_theme=False,
        leading_industries="毛纺织、服装制造、印染",
        pilot_level=PilotLevel.district,
        pilot_year=2023,
        town="无锡",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("毛纺织", Trade("毛纺织", ("毛纺", "纺织", "毛纺织"))),
            ("服装制造", Trade("服装制造", ("服饰", "服装", "制衣"))),
            ("印染整理", Trade("印染", ("印染", "染整"))),
            ("纺织机械", Trade("纺织机械", ("纺织机械", "机械制造"))),
            ("家纺", Trade("家用纺织品", ("家纺", "床上用品"))),
            ("电商销售", Trade("服装电商", ("电子商务", "商贸"))),
        ),
        sizes=(1, 4, 36, 29),
        participation=0.63,
        unions=0.72,
        contracts=0.8,
        foreign_share=0.03,
        state_share=0.01,
        internal_bases=0,
        external_bases=1,
        story=Story.lagging,
        levels=(0.45, 0.5, 0.48),
        missing_positions=("has_counselling_room", "has_mother_baby_room"),
        grids_without_liaison=(4, 5),
        grids_without_node=(2, 5),
    ),
    ParkDef(
        name="无锡惠山高新技术产业创业服务中心",
        area_code="320206",
        kind=ParkKind.park_in_park,
        multi_theme=False,
        leading_industries="石墨烯新材料、智能制造、光电5G、半导体",
        pilot_level=PilotLevel.provincial,
        pilot_year=2020,
        town="无锡",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("石墨烯新材料", Trade("石墨烯新材料", ("石墨烯科技", "新材料", "碳材料"))),
            ("智能制造", Trade("智能制造", ("智能装备", "自动化", "智能科技"))),
            ("光电5G", Trade("光电通信", ("光电科技", "通信技术", "光电"))),
            ("半导体", Trade("半导体", ("半导体", "微电子", "芯片科技"))),
        ),
        sizes=(1, 5, 42, 37),
        participation=1.0,
        unions=0.94,
        contracts=0.99,
        foreign_share=0.06,
        state_share=0.04,
        internal_bases=2,
        external_bases=2,
        story=Story.strong,
        levels=(1.5, 1.6, 1.7),
    ),
    ParkDef(
        name="无锡微纳园",
        area_code="320214",
        kind=ParkKind.park_in_park,
        multi_theme=False,
        leading_industries="物联网、传感器、集成电路设计",
        pilot_level=PilotLevel.provincial,
        pilot_year=2021,
        town="无锡",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("物联网", Trade("物联网", ("物联网科技", "物联科技", "智联"))),
            ("传感器", Trade("传感器", ("传感技术", "传感器", "感知科技"))),
            ("集成电路设计", Trade("集成电路设计", ("微电子", "集成电路", "芯片"))),
            ("软件和信息服务", Trade("软件和信息服务", ("软件", "信息技术", "数据科技"))),
            ("智能硬件", Trade("智能硬件", ("智能科技", "电子科技", "智能设备"))),
        ),
        sizes=(1, 6, 52, 36),
        participation=0.96,
        unions=0.9,
        contracts=0.97,
        foreign_share=0.1,
        state_share=0.03,
        internal_bases=2,
        external_bases=1,
        story=Story.strong,
        levels=(1.3, 1.35, 1.4),
    ),
    ParkDef(
        name="无锡综合保税区",
        area_code="320214",
        kind=ParkKind.economic_zone,
        multi_theme=False,
        leading_industries="保税加工、保税物流、跨境贸易",
        pilot_level=PilotLevel.city,
        pilot_year=2021,
        town="无锡",
        basis=GridBasis.area,
        grids=_areas(
            ("一期网格", "二期网格", "三期网格", "物流园网格", "综合服务区网格"),
            (
                Trade("电子信息", ("电子", "电子科技")),
                Trade("精密制造", ("精密机械", "精密制造")),
                Trade("保税物流", ("国际物流", "供应链管理")),
                Trade("跨境贸易", ("进出口", "国际贸易")),
                Trade("检测维修", ("检测技术", "维修服务")),
            ),
        ),
        sizes=(2, 7, 40, 31),
        participation=0.9,
        unions=0.88,
        contracts=0.95,
        foreign_share=0.3,
        state_share=0.05,
        internal_bases=1,
        external_bases=1,
        story=Story.steady,
        levels=(0.9, 0.9, 0.92),
    ),
    ParkDef(
        name="无锡国家高新技术产业开发区",
        area_code="320214",
        kind=ParkKind.high_tech_zone,
        multi_theme=False,
        leading_industries="集成电路、物联网、生物医药、高端装备、新能源",
        pilot_level=PilotLevel.national,
        pilot_year=2020,
        town="无锡",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("集成电路", Trade("集成电路", ("半导体", "微电子", "集成电路"))),
            ("物联网", Trade("物联网", ("物联网技术", "智能科技"))),
            ("生物医药", Trade("生物医药", ("生物医药", "医药科技"))),
            ("高端装备", Trade("高端装备", ("装备制造", "精密机械", "动力科技"))),
            ("新能源", Trade("新能源", ("新能源", "光伏科技", "储能科技"))),
            ("新材料", Trade("新材料", ("新材料", "复合材料"))),
            ("软件和信息技术服务", Trade("软件和信息技术服务", ("软件", "信息技术", "云计算"))),
            ("汽车零部件", Trade("汽车零部件", ("汽车部件", "汽车电子", "车辆科技"))),
        ),
        sizes=(4, 16, 98, 62),
        participation=0.98,
        unions=0.93,
        contracts=0.98,
        foreign_share=0.25,
        state_share=0.06,
        internal_bases=2,
        external_bases=2,
        story=Story.strong,
        levels=(1.6, 1.7, 1.8),
    ),
    ParkDef(
        name="长三角新就业产业园",
        area_code="320211",
        kind=ParkKind.building,
        multi_theme=True,
        leading_industries="新就业形态、平台经济、即时配送",
        pilot_level=PilotLevel.city,
        pilot_year=2023,
        town="无锡",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("即时配送", Trade("即时配送", ("配送服务", "同城配送"))),
            ("快递物流", Trade("快递物流", ("快递", "速运", "物流"))),
            ("网约车", Trade("网约车", ("出行服务", "汽车服务"))),
            ("直播和内容创作", Trade("直播和内容创作", ("文化传媒", "网络科技"))),
        ),
        sizes=(0, 2, 26, 20),
        participation=0.9,
        unions=0.85,
        contracts=0.96,
        foreign_share=0.0,
        state_share=0.02,
        internal_bases=1,
        external_bases=1,
        story=Story.improving,
        levels=(0.5, 0.75, 1.1),
    ),
    ParkDef(
        name="滨湖蠡园数字文创楼宇",
        area_code="320211",
        kind=ParkKind.building,
        multi_theme=True,
        leading_industries="数字文创、软件服务、设计咨询",
        pilot_level=PilotLevel.district,
        pilot_year=2022,
        town="无锡",
        basis=GridBasis.area,
        grids=_areas(
            ("1号楼网格", "2号楼网格", "3号楼网格", "4号楼网格"),
            (
                Trade("数字文创", ("文化传媒", "数字科技", "动漫")),
                Trade("软件服务", ("软件", "信息技术")),
                Trade("设计咨询", ("设计", "咨询")),
                Trade("电子商务", ("电子商务", "网络科技")),
            ),
        ),
        sizes=(0, 1, 25, 26),
        participation=0.82,
        unions=0.8,
        contracts=0.92,
        foreign_share=0.02,
        state_share=0.0,
        internal_bases=1,
        external_bases=0,
        story=Story.steady,
        levels=(0.7, 0.7, 0.72),
    ),
    ParkDef(
        name="经开区华庄智造产业园",
        area_code="320271",
        kind=ParkKind.economic_zone,
        multi_theme=False,
        leading_industries="智能装备、汽车零部件、精密机械",
        pilot_level=PilotLevel.district,
        pilot_year=2024,
        town="无锡",
        basis=GridBasis.cluster,
        grids=_clusters(
            ("智能装备", Trade("智能装备", ("智能装备", "自动化设备"))),
            ("汽车零部件", Trade("汽车零部件", ("汽车部件", "汽配"))),
            ("精密机械", Trade("精密机械", ("精密机械", "机械"))),
            ("新能源装备", Trade("新能源装备", ("新能源", "电气"))),
            ("工业软件", Trade("工业软件", ("工业软件", "信息技术"))),
        ),
        sizes=(1, 3, 24, 14),
        participation=0.6,
        unions=0.7,
        contracts=0.78,
        foreign_share=0.05,
        state_share=0.02,
        internal_bases=0,
        external_bases=0,
        story=Story.lagging,
        levels=(0.4, 0.45, 0.45),
        missing_positions=("has_counselling_room", "has_workers_library", "has_mother_baby_room"),
        grids_without_liaison=(3, 4),
        grids_without_node=(4,),
    ),
    ParkDef(
        name="经开区太湖湾科创楼宇",
        area_code="320271",
        kind=ParkKind.building,
        multi_theme=True,
        leading_industries="科技服务、人力资源、金融服务",
        pilot_level=PilotLevel.district,
        pilot_year=2022,
        town="无锡",
        basis=GridBasis.area,
        grids=_areas(
            ("A座网格", "B座网格", "C座网格"),
            (
                Trade("科技服务", ("科技服务", "技术服务")),
                Trade("人力资源", ("人力资源", "企业管理")),
                Trade("金融服务", ("投资管理", "财务咨询")),
            ),
        ),
        sizes=(0, 1, 15, 14),
        participation=0.8,
        unions=0.8,
        contracts=0.9,
        foreign_share=0.03,
        state_share=0.03,
        internal_bases=1,
        external_bases=0,
        story=Story.steady,
        levels=(0.68, 0.68, 0.7),
        missing_positions=("has_mother_baby_room",),
    ),
)

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
